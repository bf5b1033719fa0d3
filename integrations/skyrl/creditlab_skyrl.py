"""creditlab's credit assignment as SkyRL advantage estimators:
`trainer.algorithm.advantage_estimator=creditlab_<method>`.

SkyRL's hook (NovaSky-AI/SkyRL, skyrl/backends/skyrl_train/utils/ppo_utils.py:
`register_advantage_estimator`, `AdvantageEstimatorRegistry`, `compute_advantages_and_returns`;
called by skyrl/train/trainer.py: `RayPPOTrainer.compute_advantages_and_returns(data)` on the
driver with the whole batch) calls the registered function as

    fn(token_level_rewards=data["rewards"], response_mask=data["response_mask"],
       index=data.metadata["uids"], values=..., grpo_norm_by_std=..., gamma=..., lambd=...,
       config=cfg.trainer.algorithm)

Response-level tensors are RIGHT-ALIGNED in SkyRL (skyrl/train/dataset/preprocess.py:
`convert_prompts_responses_to_batch_tensors`): row i's L_i response tokens are its last L_i
columns, `response_mask` marks them, `loss_mask` marks the policy tokens among them.

Not passed: `sequences`, `attention_mask`, `loss_mask`, `rollout_logprobs` (in `data`, found on
the call stack like the verl adapter: the `TrainingInputBatch` whose `["response_mask"]` is the
tensor received) and the non-tensor fields, which `convert_to_training_input` drops: the turn
spans, question, ground truth. A generator returns them per trajectory in
`generator_output["creditlab"]` (a list of dicts, module docstring of creditlab_client) and a
four-line trainer subclass keeps them (:func:`attach_rows`):

    class CreditlabTrainer(RayPPOTrainer):
        def convert_to_training_input(self, generator_output, uids):
            data = super().convert_to_training_input(generator_output, uids)
            return creditlab_skyrl.attach_rows(data, generator_output["creditlab"])

Step-wise training (`generator.step_wise_trajectories`) hands the estimator only last steps with
an all-ones mask; it is refused with an error.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import creditlab_client as cc  # noqa: E402


def attach_rows(training_input: Any, rows: list) -> Any:
    """Keep the per-trajectory creditlab rows in `training_input.metadata["creditlab"]`."""
    if len(rows) != len(training_input["response_mask"]):
        raise ValueError(f"creditlab: {len(rows)} rows for a batch of "
                         f"{len(training_input['response_mask'])}")
    training_input.metadata["creditlab"] = list(rows)
    return training_input


def _holds_rows_of(value: Any, response_mask: Any) -> bool:
    """Whether `value` is a batch with creditlab rows whose `["response_mask"]` is this one."""
    meta = getattr(value, "metadata", None)
    if not (isinstance(meta, dict) and "creditlab" in meta):
        return False
    try:
        return value["response_mask"] is response_mask
    except (KeyError, TypeError):
        return False


_BATCH = cc.BatchFinder(
    "creditlab_skyrl_batch", _holds_rows_of,
    "creditlab: no TrainingInputBatch with metadata['creditlab'] holding this response_mask "
    "on the call stack; keep the rows with creditlab_skyrl.attach_rows (see the docstring), "
    "and do not use step-wise trajectories")


def using_batch(data: Any):
    """Run estimators with `data` (a `TrainingInputBatch`) instead of looking on the stack."""
    return _BATCH.using(data)


def find_training_input(response_mask: Any) -> Any:
    """The `TrainingInputBatch` whose `["response_mask"]` is `response_mask`."""
    return _BATCH.find(response_mask, sys._getframe(1))


def records_from_training_input(data: Any, token_level_rewards: Any, response_mask: Any,
                                index: Any) -> tuple[list[dict], list[int], list[int]]:
    """Records of a SkyRL batch, each row's first response column and its length."""
    rows = [dict(cc.plain(r)) for r in data.metadata["creditlab"]]
    bs, width = response_mask.shape
    lengths = [int(x) for x in response_mask.sum(dim=-1).tolist()]
    starts = [width - n for n in lengths]
    seq = data["sequences"]
    attn = data["attention_mask"]
    prompt_ids: list[list[int]] = []
    responses = seq[:, seq.shape[1] - width:]  # the response columns, right-aligned as the mask
    for i in range(bs):
        real = seq[i][attn[i].bool()].tolist()
        prompt_ids.append(real[:len(real) - lengths[i]])
    lp = data["rollout_logprobs"] if _has(data, "rollout_logprobs") else None
    records = cc.records_from_rows(
        responses=responses, response_mask=data["loss_mask"], uids=list(index), rows=rows,
        starts=starts, lengths=lengths, prompt_ids=prompt_ids, rollout_log_probs=lp,
        outcome_rewards=[float(x) for x in token_level_rewards.sum(dim=-1).tolist()])
    return records, starts, lengths


def _has(data: Any, key: str) -> bool:
    try:
        return data[key] is not None
    except KeyError:
        return False


def make_estimator(method: str) -> Callable:
    """The function registered as `creditlab_<method>` (SkyRL's estimator keyword arguments)."""

    def estimator(token_level_rewards, response_mask, index, config=None, **_unused):
        data = find_training_input(response_mask)
        s = cc.settings(config)
        records, starts, lengths = records_from_training_input(data, token_level_rewards,
                                                               response_mask, index)
        adv, metrics = cc.request_advantages(method, records, response_mask, starts, lengths, s)
        data.metadata["creditlab_metrics"] = metrics
        return adv, adv.clone()

    estimator.__name__ = f"creditlab_{method.replace('-', '_')}"
    return estimator


def register(methods=cc.METHODS, registry: Any = None) -> list[str]:
    """Register `creditlab_<method>` (and `creditlab_cw_grpo`-style spellings) with SkyRL's
    `AdvantageEstimatorRegistry` (imported unless given); returns the names."""
    if registry is None:
        try:
            from skyrl.backends.skyrl_train.utils.ppo_utils import (  # type: ignore
                AdvantageEstimatorRegistry as registry)
        except ImportError:  # the older package layout
            from skyrl_train.utils.ppo_utils import (  # type: ignore
                AdvantageEstimatorRegistry as registry)
    names = []
    for m in methods:
        fn = make_estimator(m)
        for name in cc.estimator_names(m):
            if name not in registry.list_available():
                registry.register(name, fn)
            names.append(name)
    return names
