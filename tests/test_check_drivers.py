"""grader/check/drivers.py: standalone, and what each driver reports about a function's behaviour."""

import ast
import types

import numpy as np
import pytest

from grader.check import drivers
from grader.check.oracle import ReferenceOracle
from grader.courses import get_profile


class FakeCtx:
    """A driver context whose package modules are namespaces of plain functions."""

    def __init__(self, **modules):
        self.modules = modules

    def module(self, name):
        return self.modules[name]


def test_drivers_import_only_numpy_and_the_standard_library():
    tree = ast.parse(open(drivers.__file__, encoding="utf-8").read())
    # (but for the block that runs only when the grading process imports it as grader.check.drivers:
    # in the child, the numpy1 shim's names come from the next driver file, in the same module)
    parent_only = [n for n in tree.body if isinstance(n, ast.If) and "grader.check.drivers" in ast.unparse(n.test)]
    assert len(parent_only) == 1 and "__name__" in ast.unparse(parent_only[0].test)
    tree.body = [n for n in tree.body if n not in parent_only]
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: the child loads drivers.py by path"
            imported.add(node.module.split(".")[0])
    assert imported <= {"copy", "numpy", "sys"}


def test_layer_pair_numeric_gradient_agrees_with_the_reference_backward():
    rng = np.random.default_rng(0)
    arrays = {"x": rng.standard_normal((3, 4, 5)), "w": rng.standard_normal((20, 6)), "b": rng.standard_normal(6),
              "dout": rng.standard_normal((3, 6))}
    params = {"module": "cs231n.layers", "function": "affine_forward", "backward": "affine_backward",
              "call": ["x", "w", "b"], "grads": ["x", "w", "b"], "numeric": {"coords": 5, "seed": 1}}
    out = drivers.DRIVERS["layer_pair"](ReferenceOracle(get_profile()), params, arrays)
    for n in "xwb":
        assert out[f"num.d{n}"].shape == (5,)
        assert np.allclose(out[f"num.d{n}"], out[f"ana.d{n}"], rtol=1e-6, atol=1e-8)
    assert out["info"]["mutated"] == []


def test_a_function_returning_none_is_not_implemented():
    layers = types.SimpleNamespace(relu_forward=lambda x: (None, x))
    params = {"module": "layers", "function": "relu_forward", "call": ["x"]}
    with pytest.raises(NotImplementedError, match="relu_forward: out is None"):
        drivers.DRIVERS["layer_forward"](FakeCtx(layers=layers), params, {"x": np.ones(3)})


def test_a_missing_function_is_not_implemented():
    params = {"module": "layers", "function": "relu_forward", "call": ["x"]}
    with pytest.raises(NotImplementedError, match="layers.py has no relu_forward"):
        drivers.DRIVERS["layer_forward"](FakeCtx(layers=types.SimpleNamespace()), params, {"x": np.ones(3)})


def test_in_place_modification_is_reported_for_inputs_and_dout():
    def relu_forward(x):
        np.maximum(x, 0, out=x)  # modifies its input
        return x.copy(), x

    def relu_backward(dout, cache):
        dout[cache <= 0] = 0  # modifies dout
        return dout

    layers = types.SimpleNamespace(relu_forward=relu_forward, relu_backward=relu_backward)
    ctx = FakeCtx(layers=layers)
    x = np.array([-1.0, 2.0, -3.0])
    out = drivers.DRIVERS["layer_forward"](ctx, {"module": "layers", "function": "relu_forward", "call": ["x"]}, {"x": x})
    assert out["info"]["mutated"] == ["x"]
    params = {"module": "layers", "function": "relu_forward", "backward": "relu_backward", "call": ["x"], "grads": ["x"]}
    out = drivers.DRIVERS["layer_pair"](ctx, params, {"x": x, "dout": np.ones(3)})
    assert "dout" in out["info"]["mutated"]
    assert np.array_equal(x, [-1.0, 2.0, -3.0]), "the driver works on copies"


def test_a_wrong_return_arity_is_an_error():
    layers = types.SimpleNamespace(affine_forward=lambda x, w, b: x @ w + b)
    params = {"module": "layers", "function": "affine_forward", "call": ["x", "w", "b"]}
    with pytest.raises(TypeError, match=r"must return a tuple \(out, cache\)"):
        drivers.DRIVERS["layer_forward"](FakeCtx(layers=layers), params,
                                         {"x": np.ones((2, 3)), "w": np.ones((3, 4)), "b": np.ones(4)})


def test_optim_steps_chains_the_config_between_steps():
    def sgd_momentum(w, dw, config=None):
        config = config if config is not None else {}
        v = config.get("velocity", np.zeros_like(w))
        v = 0.5 * v - 0.1 * dw
        config["velocity"] = v
        return w + v, config

    ctx = FakeCtx(optim=types.SimpleNamespace(sgd_momentum=sgd_momentum))
    arrays = {"w": np.zeros(2), "dw0": np.ones(2), "dw1": np.ones(2)}
    params = {"module": "optim", "rule": "sgd_momentum", "config": None, "steps": 2}
    out = drivers.DRIVERS["optim_steps"](ctx, params, arrays)
    assert np.allclose(out["w1"], -0.1) and np.allclose(out["w2"], -0.25)
    assert np.allclose(out["c.velocity"], -0.15)


def test_model_driver_reports_missing_gradients_without_failing_the_task():
    class Net:
        def __init__(self, reg=0.0):
            self.reg, self.params = reg, {"W1": np.zeros((3, 2)), "b1": np.zeros(2)}

        def loss(self, X, y=None):
            scores = X @ self.params["W1"] + self.params["b1"]
            if y is None:
                return scores
            return float(np.sum(scores)), {"W1": X.T @ np.ones((len(X), 2))}

    ctx = FakeCtx(net=types.SimpleNamespace(Net=Net))
    arrays = {"X": np.ones((4, 3)), "y": np.zeros(4, dtype=np.int64), "p.W1": np.ones((3, 2)), "p.b1": np.ones(2)}
    params = {"module": "net", "cls": "Net", "kwargs": {}, "regs": [0.0], "param_names": ["W1", "b1"], "seed": 0}
    out = drivers.DRIVERS["model"](ctx, params, arrays)
    assert out["info"]["missing_grads"] == ["b1"]
    assert float(out["r0.loss"]) == pytest.approx(4 * 2 * 4.0)
    assert out["scores"].shape == (4, 2)


def test_the_numpy1_shim_is_standalone_too():
    """It runs in the sandbox child and in notebook kernels, where grader cannot be imported."""
    from grader.check import numpy1

    tree = ast.parse(open(numpy1.__file__, encoding="utf-8").read())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert imported <= {"builtins", "numpy", "sys"}
