"""creditlab's credit assignment as verl advantage estimators: `algorithm.adv_estimator=creditlab_<method>`.

verl's hook (volcengine/verl, verl/trainer/ppo/core_algos.py: `register_adv_est`,
`get_adv_estimator_fn`; called by verl/trainer/ppo/ray_trainer.py: `compute_advantage`, on the
driver, for every estimator other than GAE and GRPO) calls the registered function as

    fn(token_level_rewards=[bs, resp_len], response_mask=[bs, resp_len], config=algorithm config,
       index=non_tensor_batch["uid"] (when present), reward_baselines=... (when present))

and stores its `(advantages, returns)` in `data.batch`. That is all it passes. It does NOT pass:
the prompt and response token ids (`prompts`, `responses`, `attention_mask`), the sampler's
`rollout_log_probs`, nor any non-tensor column: the turn spans with their roles and texts, the
question, `data_source`, `reward_model.ground_truth`, `extra_info`. creditlab's methods need them
(a round ends where a policy turn ends, which `response_mask` alone cannot tell when two policy
turns are adjacent; CAPF reads feedback verdicts, E-GRPO the turn texts and gold entities,
CW-GRPO / PURE the judge's scores).

How this adapter gets them: the estimator is called from inside `compute_advantage(data, ...)`,
so it finds that `DataProto` on the call stack (:func:`find_dataproto`: the one local whose
`batch["response_mask"]` is the very tensor the hook received) and reads `data.batch` and
`data.non_tensor_batch`. Code that calls an estimator some other way passes the batch explicitly
with ``with creditlab_adv.using_batch(data): ...``. The per-row fields come from

- `non_tensor_batch["creditlab"]`: one dict per row with at least `turns` (interchange turn spans
  over the response tokens). A verl agent loop writes it as
  `AgentLoopOutput.extra_fields["creditlab"] = {...}` (verl/experimental/agent_loop/agent_loop.py
  copies every `extra_fields` key into `non_tensor_batch`); `creditlab_client.turns_from_segments`
  builds the spans from the loop's segments. It may also hold `question_id`, `question`,
  `prompt_text`, `answer`, `extras` (e.g. recorded `judge_scores`), `ground_truth`;
- the Search-R1 / verl data columns, for what that dict leaves out: `data_source`,
  `reward_model["ground_truth"]` (`target`, optional `entities`), `extra_info["question_id"]` or
  `extra_info["index"]`, `extra_info["question"]`;
- the tensors: `responses`, `response_mask`, `prompts` + `attention_mask` (prompt ids without
  left padding, response length L_i), `rollout_log_probs` when present; the outcome is
  `token_level_rewards[i].sum()` (as verl's own GRPO takes it), or, with
  `+algorithm.creditlab.outcome=answer`, creditlab's exact match of the row's `answer`.

The batch goes to `deno task serve-credit` as one request (groups must be whole, as verl's batch
is) and the answer comes back as `advantages` [bs, resp_len] float32, zero on environment tokens
and padding; `returns` is a copy (creditlab's methods are critic-free, as verl's GRPO returns its
advantages twice).

Settings (`creditlab_client.settings`): `+algorithm.creditlab.url=...`, `+algorithm.creditlab.
config={...}` (the method's config overrides), `+algorithm.creditlab.seed=N`, or the environment
variables CREDITLAB_URL / CREDITLAB_CONFIG / CREDITLAB_SEED.

verl is imported lazily: importing this module registers the estimators when verl is importable
and is a no-op otherwise, so the conversions run (and are tested) without verl.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import creditlab_client as cc  # noqa: E402


def _is_batch_of(obj: Any, response_mask: Any) -> bool:
    if not (hasattr(obj, "batch") and hasattr(obj, "non_tensor_batch")):
        return False
    try:
        return obj.batch["response_mask"] is response_mask
    except (KeyError, TypeError, AttributeError):
        return False


_BATCH = cc.BatchFinder(
    "creditlab_verl_batch", _is_batch_of,
    "creditlab: no DataProto holding this response_mask on the call stack (verl's "
    "ray_trainer.compute_advantage passes it); call the estimator inside "
    "`with creditlab_adv.using_batch(data):`")


def using_batch(data: Any):
    """Run estimators with `data` (a verl `DataProto`) as their batch, instead of looking for it
    on the call stack."""
    return _BATCH.using(data)


def find_dataproto(response_mask: Any) -> Any:
    """The `DataProto` whose `batch["response_mask"]` is `response_mask`: the explicit one of
    :func:`using_batch`, else the caller's (ray_trainer.compute_advantage's `data`)."""
    return _BATCH.find(response_mask, sys._getframe(1))


def _row_defaults(ntb: dict, i: int) -> dict:
    """The interchange fields verl's standard (Search-R1) columns give for row i."""
    out: dict = {}
    if "data_source" in ntb:
        out["data_source"] = str(ntb["data_source"][i])
    rm = ntb.get("reward_model")
    if rm is not None and rm[i] is not None and "ground_truth" in rm[i]:
        out["ground_truth"] = rm[i]["ground_truth"]
    info = ntb.get("extra_info")
    info = info[i] if info is not None else None
    if isinstance(info, dict):
        qid = info.get("question_id", info.get("index"))
        if qid is not None:
            out["question_id"] = str(cc.plain(qid))
        if info.get("question") is not None:
            out["question"] = str(info["question"])
    return out


def records_from_dataproto(data: Any, token_level_rewards: Any, response_mask: Any,
                           index: Any = None, outcome: str = "rewards"
                           ) -> tuple[list[dict], list[int]]:
    """Interchange records of a verl batch, and each row's response length L_i.

    `responses[i, :L_i]` is row i's response (right-padded), L_i = `attention_mask[i, P:]`'s
    sum (P = the prompt width), or the turn spans' end without an attention mask."""
    b = data.batch
    ntb = data.non_tensor_batch
    if "creditlab" not in ntb:
        raise KeyError(
            "creditlab: non_tensor_batch has no 'creditlab' column (per-row turn spans); write "
            "it from the agent loop: AgentLoopOutput.extra_fields['creditlab'] = {'turns': ...}")
    rows = [dict(cc.plain(r)) for r in ntb["creditlab"]]
    bs, width = response_mask.shape
    uids = index if index is not None else ntb["uid"]
    lengths: list[int] = []
    prompt_ids: list[list[int]] = []
    prompts = b["prompts"] if "prompts" in b.keys() else None
    attn = b["attention_mask"] if "attention_mask" in b.keys() else None
    for i in range(bs):
        spans = rows[i].get("turns") or []
        n = int(spans[-1]["end"]) if spans else 0
        if attn is not None and prompts is not None:
            p = prompts.shape[1]
            n_attn = int(attn[i, p:].sum().item())
            if spans and n_attn != n:
                raise ValueError(
                    f"creditlab: row {i}: attention_mask gives {n_attn} response tokens, the turn "
                    f"spans {n}")
            n = n_attn
            prompt_ids.append(prompts[i][attn[i, :p].bool()].tolist())
        elif prompts is not None:
            prompt_ids.append(prompts[i].tolist())
        else:
            prompt_ids.append([])
        if n > width:
            raise ValueError(f"creditlab: row {i}: {n} response tokens > width {width}")
        lengths.append(n)
    if outcome == "rewards":
        outcomes = [float(x) for x in token_level_rewards.sum(dim=-1).tolist()]
    elif outcome == "answer":
        outcomes = None
    else:
        raise ValueError(f"creditlab: outcome must be 'rewards' or 'answer', got {outcome!r}")
    lp = b["rollout_log_probs"] if "rollout_log_probs" in b.keys() else None
    records = cc.records_from_rows(
        responses=b["responses"], response_mask=response_mask, uids=list(uids), rows=rows,
        starts=[0] * bs, lengths=lengths, prompt_ids=prompt_ids, rollout_log_probs=lp,
        outcome_rewards=outcomes, defaults=[_row_defaults(ntb, i) for i in range(bs)])
    return records, lengths


def compute_creditlab_advantage(method: str, token_level_rewards: Any, response_mask: Any,
                                index: Any = None, config: Any = None, data: Any = None,
                                client: Optional[cc.CreditClient] = None):
    """`(advantages, returns)` [bs, resp_len] of `method` for the verl batch `data` (found on
    the call stack when None)."""
    s = cc.settings(config)
    data = data if data is not None else find_dataproto(response_mask)
    records, lengths = records_from_dataproto(data, token_level_rewards, response_mask, index,
                                              s.get("outcome", "rewards"))
    adv, metrics = cc.request_advantages(method, records, response_mask, [0] * len(lengths),
                                         lengths, s, client)
    if isinstance(getattr(data, "meta_info", None), dict):  # the method's metrics, for logging
        data.meta_info["creditlab_metrics"] = metrics
    return adv, adv.clone()


def make_estimator(method: str) -> Callable:
    """The function registered as `creditlab_<method>` (verl's estimator keyword arguments)."""

    def estimator(token_level_rewards, response_mask, index=None, config=None, **_unused):
        data = find_dataproto(response_mask)
        return compute_creditlab_advantage(method, token_level_rewards, response_mask, index,
                                           config, data=data)

    estimator.__name__ = f"creditlab_{method.replace('-', '_')}"
    estimator.__creditlab_method__ = method  # type: ignore[attr-defined]
    return estimator


estimator_names = cc.estimator_names  # `creditlab_cw-grpo` and `creditlab_cw_grpo`


def register(methods=cc.METHODS, register_adv_est: Optional[Callable] = None) -> list[str]:
    """Register `creditlab_<method>` for each method with verl's `register_adv_est` (imported
    from verl.trainer.ppo.core_algos unless given). Returns the names."""
    if register_adv_est is None:
        from verl.trainer.ppo.core_algos import register_adv_est  # type: ignore
    names = []
    for m in methods:
        fn = make_estimator(m)
        for name in estimator_names(m):
            try:
                register_adv_est(name)(fn)
            except ValueError:
                pass  # already registered (this module imported twice): keep the first
            names.append(name)
    return names


def _register_if_verl() -> None:
    try:
        import verl.trainer.ppo.core_algos  # type: ignore  # noqa: F401
    except ImportError:
        return
    register()


_register_if_verl()
