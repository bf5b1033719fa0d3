"""creditlab's credit assignment for rLLM as precomputed per-step advantages.

rLLM's path (rllm-org/rllm, rllm/trainer/algorithms/advantage.py:
`collect_reward_and_advantage_from_trajectory_groups` and `_collect_precomputed_advantages`;
docs/training/precompute-advantage.mdx): with `rllm.algorithm.use_precomputed_advantage=true`, a
`TrajectoryGroup` any of whose steps has `step.advantage` set is trained on those values as given:
a float is broadcast over `step.response_ids`, a list must have one value per response token.
Groups are formed from episodes by a trajectory-grouping hook
(rllm/trainer/algorithms/transform.py: `transform_episodes_to_trajectory_groups`,
`_default_traj_grouping_hook`; `UnifiedTrainer(traj_grouping_hook=...)` in
rllm/trainer/unified_trainer.py), which is where this adapter runs: :func:`grouping_hook` wraps
rLLM's default hook, sends each batch of groups to serve-credit and sets every step's
`advantage` to the per-token list of its policy turn (lists, not the span mean, so the result is
exactly creditlab's).

An rLLM `Trajectory` is a list of `Step`s, one per model call (rllm/types.py: `Step.prompt_ids`,
`response_ids`, `logprobs`, `model_response`, `info`; `Trajectory.uid`, `task`, `reward`,
`info`). The interchange record is rebuilt from them:

- response tokens: each step's `response_ids` (a policy turn, round k for the k-th step), then
  the environment's tokens before the next call: the next step's `prompt_ids` past this step's
  prompt and response (the trajectory must be cumulative: each prompt extends the last one);
- turn texts: `step.model_response`; an environment turn's role, text and verdict come from
  `step.info["creditlab"]["after"] = {"role": "observation" | "feedback", "text", "verdict"?}`
  (the workflow knows them; default role "observation", text `step.observation` when a str);
  `step.info["creditlab"]["action"]` carries a parsed action;
- `trajectory.task` (a dict): `question_id` (or `id`), `question`, `data_source`,
  `ground_truth`, `prompt_text`; `trajectory.info["creditlab"]` may add `answer` and `extras`
  (e.g. recorded `judge_scores`); the outcome is `trajectory.reward`; the group id is the
  `TrajectoryGroup.group_id`.

rLLM is imported lazily (only by :func:`grouping_hook` for the default hook), so the
conversions work on any objects with these attributes.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import creditlab_client as cc  # noqa: E402


def _info(obj: Any) -> dict:
    meta = getattr(obj, "metadata", None)
    if meta is None:
        meta = getattr(obj, "info", None)
    return (meta or {}).get("creditlab", {}) or {}


def record_from_trajectory(traj: Any, uid: str, trajectory_id: str) -> tuple[dict, list]:
    """The record of one rLLM trajectory, and each step's `(start, end)` span in the response."""
    steps = list(traj.steps)
    if not steps:
        raise ValueError(f"creditlab: trajectory {trajectory_id} has no steps")
    response: list[int] = []
    mask: list[int] = []
    logprobs: list[float] = []
    has_lp = all(len(s.logprobs or []) == len(s.response_ids) for s in steps)
    turns: list[dict] = []
    spans = []
    for k, step in enumerate(steps):
        ci = _info(step)
        start = len(response)
        ids = list(step.response_ids)
        response += ids
        mask += [1] * len(ids)
        if has_lp:
            logprobs += [float(x) for x in step.logprobs]
        turn = {"role": "policy", "round": int(ci.get("round", k + 1)), "start": start,
                "end": len(response), "text": str(step.model_response or "")}
        if ci.get("action") is not None:
            turn["action"] = ci["action"]
        turns.append(turn)
        spans.append((start, len(response)))
        if k + 1 < len(steps):
            seen = list(step.prompt_ids) + ids
            nxt = list(steps[k + 1].prompt_ids)
            if nxt[:len(seen)] != seen:
                raise ValueError(
                    f"creditlab: trajectory {trajectory_id}: step {k + 1}'s prompt does not "
                    f"extend step {k}'s prompt and response (a non-cumulative trajectory); its "
                    "environment tokens cannot be placed")
            env = nxt[len(seen):]
            if env:
                after = ci.get("after", {})
                obs = getattr(step, "observation", None)
                text = after.get("text", obs if isinstance(obs, str) else "")
                e0 = len(response)
                response += env
                mask += [0] * len(env)
                if has_lp:
                    logprobs += [0.0] * len(env)
                et = {"role": after.get("role", "observation"), "round": turn["round"],
                      "start": e0, "end": len(response), "text": str(text)}
                if after.get("verdict") is not None:
                    et["verdict"] = after["verdict"]
                turns.append(et)
    task = traj.task if isinstance(traj.task, dict) else {}
    ti = _info(traj)
    qid = task.get("question_id", task.get("id", uid))
    rec = cc.build_record(
        uid=uid, trajectory_id=trajectory_id,
        data_source=str(task.get("data_source", "unknown")), question_id=str(qid),
        ground_truth=task["ground_truth"], prompt_ids=list(steps[0].prompt_ids),
        prompt_text=str(task.get("prompt_text", task.get("question", ""))),
        response_ids=response, response_mask=mask, turns=turns,
        rollout_log_probs=logprobs if has_lp else None, question=task.get("question"),
        answer=ti.get("answer"), outcome_reward=traj.reward, extras=ti.get("extras"))
    return rec, spans


def records_from_groups(groups: list) -> tuple[list[dict], list[tuple[Any, list]]]:
    """Records of rLLM `TrajectoryGroup`s (group-major order) and, per record, its trajectory
    and step spans."""
    records: list[dict] = []
    where: list[tuple[Any, list]] = []
    seen: set = set()
    for gi, group in enumerate(groups):
        uid = str(getattr(group, "group_id", "") or f"group-{gi}")
        for ti, traj in enumerate(group.trajectories):
            tid = str(getattr(traj, "uid", None) or f"{uid}/{ti}")
            if tid in seen:
                tid = f"{tid}#{gi}.{ti}"
            seen.add(tid)
            rec, spans = record_from_trajectory(traj, uid, tid)
            records.append(rec)
            where.append((traj, spans))
    return records, where


def set_step_advantages(groups: list, method: str, client: Optional[cc.CreditClient] = None,
                        config: Optional[dict] = None, seed: Optional[int] = None) -> dict:
    """Credit of `groups` by `method`: sets each step's `advantage` to the per-token list of its
    span; returns the method's metrics."""
    if not groups:
        return {}
    records, where = records_from_groups(groups)
    client = client or cc.CreditClient()
    ans = client.credit(method, records, config=config, seed=seed)
    for out, (traj, spans) in zip(ans["outputs"], where):
        adv = out["advantages"]
        for step, (a, b) in zip(traj.steps, spans):
            step.advantage = [float(x) for x in adv[a:b]]
    return ans.get("metrics", {})


def grouping_hook(method: str, base_hook: Optional[Callable] = None,
                  client: Optional[cc.CreditClient] = None) -> Callable:
    """A `traj_grouping_hook` for rLLM's UnifiedTrainer: rLLM's default grouping, then
    creditlab's per-step advantages (settings from CREDITLAB_URL / CREDITLAB_CONFIG /
    CREDITLAB_SEED)."""

    def hook(episodes, transform_config, compact_filtering_config=None):
        base = base_hook
        if base is None:
            from rllm.trainer.algorithms.transform import (  # type: ignore
                _default_traj_grouping_hook as base)
        groups = base(episodes, transform_config, compact_filtering_config)
        s = cc.settings(None)
        set_step_advantages(groups, method,
                            client or cc.CreditClient(s["url"], float(s["timeout"])),
                            config=s["config"], seed=s["seed"])
        return groups

    return hook
