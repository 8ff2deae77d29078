"""A named check of update rules found by `grader mutate`: gradients that are exactly zero.

An update rule dividing by a running RMS must keep its denominator above zero where a gradient
is zero (a dead unit, a padded input): without epsilon, 0 / 0 gives NaN and training breaks. The
hidden steps of the rule's own description draw no exact zero, so dropping epsilon survived
them; here a fixed set of coordinates has a zero gradient at every step (the rule's state there
stays zero) and the result is judged like the description's own cases (its tolerance, so
epsilon inside or outside the square root both pass).
"""

from __future__ import annotations

import numpy as np

from ...check.judge import Verdict
from ...check.plan import as_json
from ...check.spec import CheckSpec, OptimSpec, qualnames
from ...sandbox import Task, TaskResult

ZERO_HINT = ("the step is 0 / 0 where the gradient is zero: epsilon must keep the denominator above zero "
             "(add it to the square root, or inside it)")


def _rule(b, q: str) -> OptimSpec:
    for spec in b.profile.specs:
        if isinstance(spec, OptimSpec) and qualnames(spec) == [q]:
            return spec
    raise ValueError(f"{q}: no update-rule description (OptimSpec) to judge the zero gradients with")


def zero_gradients(b, spec: CheckSpec) -> None:
    """`steps` steps (default 3) of the rule with its description's hidden hyperparameters,
    where about a third of the coordinates (the first one always) get a zero gradient every time.
    options: steps, shape."""
    q, o = spec.qualname, spec.options
    rule = _rule(b, q)
    rng = b.rng(f"{q}[zero_gradients]", False)
    shape = tuple(o.get("shape", (4, 6)))
    steps = int(o.get("steps", 3))
    zero = rng.random(shape) < 1 / 3
    zero.flat[0] = True
    arrays = {"w": rng.standard_normal(shape)}
    for i in range(steps):
        dw = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 1.5, size=shape)
        dw[zero] = 0.0
        arrays[f"dw{i}"] = dw
    name = f"{q}[zero_gradients]"
    params = {"module": rule.module, "rule": rule.name, "config": as_json(dict(rule.hidden)), "config_arrays": [],
              "steps": steps}
    test = b.test(name, q, 1.0, spec.visibility, "zero_gradients")
    task = Task(name, "optim_steps", params, arrays, b.timeout)

    def judge(result: TaskResult) -> dict[str, Verdict]:
        verdicts = b.judges.update_rule(rule, q, "zero_gradients", task, result)
        v = verdicts[name]
        finite = all(np.all(np.isfinite(a)) for k, a in result.outputs.items() if k.startswith("w"))
        if v.status != "passed" and not finite and "Likely bug" not in v.output:
            v.output += f". Likely bug: {ZERO_HINT}"
        return verdicts

    b.plan(task, [test], judge, (rule.module,))


CHECKS = {"update_rule_zero_gradients": zero_gradients}


def zero_gradient_checks(module: str = "optim", rules=("rmsprop", "adam")) -> tuple[CheckSpec, ...]:
    """The check for each rule dividing by a running RMS. Points 0: they share the rule's points."""
    return tuple(CheckSpec(f"{module}.{r}", "update_rule_zero_gradients", points=0, options={"steps": 3}) for r in rules)


# The mutant such a rule survives by design (a profile's accepted_mutants, docs/mutate.md).
EPSILON_SIGN = ("epsilon subtracted instead of added: it moves a step by about 2 epsilon / sqrt(cache), below the "
                "update rules' tolerance wherever the accepted alternative (epsilon inside the square root) "
                "passes too; no tolerance can fail one and pass the other")



def epsilon_sign_accepted(via_base: bool = False) -> dict[str, str]:
    """The default course's two epsilon-sign mutants as a profile's accepted_mutants; via_base: as
    they reach a course whose rules delegate to the default course's (grader.mutate's via ids)."""
    ids = ("optim.rmsprop:sign:4", "optim.adam:sign:9")
    return {(f"{i.rsplit(':', 2)[0]}:via:{i}" if via_base else i): EPSILON_SIGN for i in ids}


__all__ = ["CHECKS", "EPSILON_SIGN", "ZERO_HINT", "epsilon_sign_accepted", "zero_gradient_checks", "zero_gradients"]
