"""UCLA ECE C147/C247 (ECE 239AS until 2019), Neural Networks and Deep Learning: homeworks 3-5.

The student package is `nndl/` beside a support package (`utils/`, `cs231n/` in the terms that
still called it so). This project's reference (reference/ece-c147/) and kit hold all three
homeworks in one package with the 2018-2019 API (dropout's p is the probability of DROPPING a
unit); the editions are the homeworks as each term handed them out. Facts per term:
docs/courses/ece-c147.md.

The reference builds on the default course's (`_canonical.cs231n...` inside its solution blocks
wherever the maths is CS231n's) and borrows its given support files; its own code is what ECE
does differently: the drop-probability dropout, Nesterov momentum, the update rules' state keys,
the two-layer net with W1 (H, D) and its own training loop, use_batchnorm.
"""

from __future__ import annotations

from ...examples import Edit
from ...strip import Markers
from ..family import FAMILY_CHECKS, FAMILY_DRIVERS, FAMILY_HINTS, cifar10, models
from ..family import hints as family_hints
from ..family.readme import kit_readme
from ..family.update_checks import CHECKS as UPDATE_CHECKS, epsilon_sign_accepted
from ..profile import AccuracyFormula, Edition, Evidence, NotebookSettings, NotebookSpec, Package, Profile
from . import catalogue, demo
from .specs import CNN_MODULE, FC_LATER, FC_MODULE, MODULE_DEPS, NET_MODULE, SPECS

# `# YOUR CODE HERE:` and its instructions, a rule line, the student's lines, a rule line,
# `# END YOUR CODE HERE` (and its closing rule line).
ECE_MARKERS = Markers(
    r"# YOUR CODE HERE:", r"# END YOUR CODE HERE", header_end=r"# =+ #", footer_start=r"# =+ #",
    near=("YOUR CODE HERE",),
    label="the comment lines `# YOUR CODE HERE:` and `# END YOUR CODE HERE` (your lines go between the "
          "`# ===== #` rule lines that follow the first and precede the second)")

# Accuracy formulas of the official notebooks (docs/courses/ece-c147.md): X is the validation
# accuracy in percent.
TWO_LAYER = AccuracyFormula(offset=28, span=22, floor=True)  # min(floor(X - 28) / 22, 1): full from 50%
DROPOUT_60 = AccuracyFormula(offset=32, span=28, floor=True)  # min(floor(X - 32) / 28, 1): full from 60%
DROPOUT_55 = AccuracyFormula(offset=32, span=23, floor=True)  # min(floor(X - 32) / 23, 1): full from 55%
CNN_65 = AccuracyFormula(offset=65, span=0)  # "> 65% validation accuracy"

# This project's master notebooks (notebooks/ece-c147/): the homeworks' notebooks in four, each
# final model where the official notebooks keep it.
NOTEBOOKS = (
    NotebookSpec("two_layer_nn.ipynb", "best_net", ("TwoLayerNet",), TWO_LAYER, 4.0),
    NotebookSpec("FC_nets.ipynb"),
    NotebookSpec("Dropout.ipynb", "model", ("FullyConnectedNet",), DROPOUT_60, 4.0),
    NotebookSpec("CNN.ipynb", "model", ("ThreeLayerConvNet",), CNN_65, 4.0),
)

# The official notebooks of each homework: which are scored, by which formula, from which variable.
HW3_NOTEBOOKS = (NotebookSpec("two_layer_nn.ipynb", "best_net", ("TwoLayerNet",), TWO_LAYER, 4.0),
                 NotebookSpec("FC_nets.ipynb"))


def _hw4_notebooks(formula: AccuracyFormula) -> tuple[NotebookSpec, ...]:
    return (NotebookSpec("Optimization.ipynb"), NotebookSpec("Batch-Normalization.ipynb"),
            NotebookSpec("Dropout.ipynb", "model", ("FullyConnectedNet",), formula, 4.0))


HW5_NOTEBOOKS = (NotebookSpec("CNN-Layers.ipynb"), NotebookSpec("CNN-BatchNorm.ipynb"),
                 NotebookSpec("CNN.ipynb", "model", ("ThreeLayerConvNet",), CNN_65, 4.0))

# What each homework's nndl/ holds and grades (the layers copied forward from an earlier homework
# are not graded again).
FIRST_LAYERS = ("layers.affine_forward", "layers.affine_backward", "layers.relu_forward", "layers.relu_backward")
LATER_LAYERS = ("layers.batchnorm_forward", "layers.batchnorm_backward", "layers.dropout_forward",
                "layers.dropout_backward")
RULES = ("optim.sgd_momentum", "optim.sgd_nesterov_momentum", "optim.rmsprop", "optim.adam")
CONV = ("conv_layers.conv_forward_naive", "conv_layers.conv_backward_naive", "conv_layers.max_pool_forward_naive",
        "conv_layers.max_pool_backward_naive", "conv_layers.spatial_batchnorm_forward",
        "conv_layers.spatial_batchnorm_backward")
NETS = ("neural_net.TwoLayerNet", "fc_net.TwoLayerNet", "fc_net.FullyConnectedNet")
CNN = ("cnn.ThreeLayerConvNet",)

HW3_ABSENT = LATER_LAYERS + RULES + CONV + CNN + tuple(f"fc_net.FullyConnectedNet[{c}]" for c in FC_LATER)
HW4_ABSENT = FIRST_LAYERS + ("neural_net.TwoLayerNet", "fc_net.TwoLayerNet") + CONV + CNN
HW5_ABSENT = FIRST_LAYERS + LATER_LAYERS + RULES + NETS
HW4_EVIDENCE = dict(functions=("layers.batchnorm_forward", "layers.dropout_forward", "optim.sgd_nesterov_momentum"),
                    absent=("neural_net.TwoLayerNet", "conv_layers.conv_forward_naive", "cnn.ThreeLayerConvNet"))

# From 2020 the kit's p is the probability of KEEPING a unit: the dropout check counts kept
# units, and the net is given 1 - p where the reference takes p (p = 0, no dropout, becomes 1).
KEEP = dict(options={"dropout_forward": {"keep": True}}, complement={"fc_net.FullyConnectedNet": ("dropout",)})
L, FC = "nndl/layers.py", "nndl/fc_net.py"
KEEP_MASK = Edit(L, " >= p) / (1 - p)", " < p) / p")  # the mask line (only its end: mutants edit its start)
KEEP_DEFAULT_1 = (Edit(FC, "dropout=0, use_batchnorm=False", "dropout=1, use_batchnorm=False"),
                  Edit(FC, "self.use_dropout = dropout > 0", "self.use_dropout = dropout < 1"))

EDITIONS = (
    Edition(
        "hw3", years=(),
        description="homework 3 (every term, 2018-2026): the layers, the two-layer net of neural_net.py with its own "
                    "training loop, fc_net's TwoLayerNet and FullyConnectedNet without batchnorm or dropout",
        absent=HW3_ABSENT, notebooks=HW3_NOTEBOOKS,
        evidence=Evidence(files=("nndl/neural_net.py",), functions=("neural_net.TwoLayerNet",),
                          absent=("layers.batchnorm_forward", "optim.sgd_nesterov_momentum",
                                  "conv_layers.conv_forward_naive")),
    ),
    Edition(
        "hw4-2018-2019", years=(),
        description="homework 4 as ECE 239AS gave it (2018-2019): batchnorm, dropout with p the probability of "
                    "DROPPING a unit (FullyConnectedNet(dropout=0)), the update rules; the Dropout notebook's model "
                    "scored min(floor(X - 32) / 28, 1)",
        absent=HW4_ABSENT, notebooks=_hw4_notebooks(DROPOUT_60),
        evidence=Evidence(functions=HW4_EVIDENCE["functions"],
                          absent=HW4_EVIDENCE["absent"] + ("fc_net.TwoLayerNet",),
                          defaults={"fc_net.FullyConnectedNet": {"dropout": 0}}),
    ),
    Edition(
        "hw4-2020-2023-2025", years=(),
        description="homework 4 of 2020, 2023 and 2025: p is the probability of KEEPING a unit, FullyConnectedNet("
                    "dropout=1) with use_dropout = dropout < 1; the Dropout notebook's model scored "
                    "min(floor(X - 32) / 23, 1)",
        absent=HW4_ABSENT, notebooks=_hw4_notebooks(DROPOUT_55), edits=(KEEP_MASK,) + KEEP_DEFAULT_1,
        evidence=Evidence(functions=HW4_EVIDENCE["functions"] + ("fc_net.TwoLayerNet",),
                          absent=HW4_EVIDENCE["absent"], defaults={"fc_net.FullyConnectedNet": {"dropout": 1}}),
        **KEEP,
    ),
    Edition(
        "hw4-2021-2024", years=(),
        description="homework 4 of 2021 and 2024: p is the probability of KEEPING a unit although FullyConnectedNet "
                    "keeps dropout=0 and use_dropout = dropout > 0; the Dropout notebook's model scored "
                    "min(floor(X - 32) / 28, 1)",
        absent=HW4_ABSENT, notebooks=_hw4_notebooks(DROPOUT_60), edits=(KEEP_MASK,),
        evidence=Evidence(functions=HW4_EVIDENCE["functions"] + ("fc_net.TwoLayerNet",),
                          absent=HW4_EVIDENCE["absent"], defaults={"fc_net.FullyConnectedNet": {"dropout": 0}}),
        **KEEP,
    ),
    Edition(
        "hw5", years=(),
        description="homework 5 (every term): the naive convolution and pooling layers, spatial batchnorm and "
                    "ThreeLayerConvNet; the CNN notebook's model must pass 65% validation accuracy",
        absent=HW5_ABSENT, notebooks=HW5_NOTEBOOKS,
        evidence=Evidence(files=("nndl/conv_layers.py", "nndl/cnn.py"),
                          functions=("conv_layers.conv_forward_naive", "cnn.ThreeLayerConvNet"),
                          absent=("neural_net.TwoLayerNet",)),
    ),
)

STATE = {"velocity": "the velocity", "a": "the moving average of the squared gradients"}
ADAM_STATE = {"v": "the moving average of the gradient (first moment)",
              "a": "the moving average of the squared gradient (second moment)"}
HINTS = {
    **FAMILY_HINTS,
    # the family's update-rule hints with this course's state keys
    "rmsprop_variants": family_hints.rmsprop_variants_for("a"),
    "adam_variants": family_hints.adam_variants_for("v", "a"),
    "rmsprop_state_keys": family_hints.optim_state_keys({"a": STATE["a"]}, {"a": ("cache",)}),
    "adam_state_keys": family_hints.optim_state_keys(ADAM_STATE, {"v": ("m",), "a": ("v",)}),
    "two_layer_transposed": family_hints.transposed_two_layer("(H, D)", "(C, H)"),
}

PROFILE = Profile(
    name="ece-c147",
    title="UCLA ECE C147/C247 homeworks 3-5",
    packages=(
        Package("nndl", aliases=("nnml",), anchors=("layers.py", "layer_utils.py", "fc_net.py", "optim.py",
                                                    "neural_net.py", "conv_layers.py", "conv_layer_utils.py",
                                                    "cnn.py")),
        Package("utils", student=False, aliases=("cs231n",)),
    ),
    # layer_utils.py and conv_layer_utils.py are given but the student's own: students add their
    # sandwich layers there, which their nets import
    editable=("nndl/layers.py", "nndl/layer_utils.py", "nndl/fc_net.py", "nndl/optim.py", "nndl/neural_net.py",
              "nndl/conv_layers.py", "nndl/conv_layer_utils.py", "nndl/cnn.py"),
    specs=SPECS,
    module_deps=MODULE_DEPS,
    hints=HINTS,
    checks={**FAMILY_CHECKS, **UPDATE_CHECKS},
    # the default course's accepted survivors, reached through this course's delegating rules
    accepted_mutants=epsilon_sign_accepted(via_base=True),
    drivers=FAMILY_DRIVERS,
    models={"FullyConnectedNet": models.fully_connected(FC_MODULE, "FullyConnectedNet", flag_arg="use_batchnorm"),
            "TwoLayerNet": models.two_layer_rows(NET_MODULE, "TwoLayerNet"),
            "ThreeLayerConvNet": models.three_layer_convnet(CNN_MODULE, "ThreeLayerConvNet", flag_arg="use_batchnorm")},
    notebooks=NOTEBOOKS,
    notebook_settings=NotebookSettings(),
    dataset=cifar10.dataset("utils.data_utils"),
    markers=ECE_MARKERS,
    editions=EDITIONS,
    mutants=catalogue.MUTANTS,
    alternatives=catalogue.ALTERNATIVES,
    examples=demo.CLASS,
    readme=kit_readme,
    requirements=("numpy", "matplotlib"),
    total_points=88.0,
    borrows={
        "utils/solver.py": "cs231n:cs231n/solver.py",
        "utils/data_utils.py": "cs231n:cs231n/data_utils.py",
        "utils/gradient_check.py": "cs231n:cs231n/gradient_check.py",
        "utils/_fast_layers.py": "cs231n:cs231n/fast_layers.py",
        "utils/im2col.py": "cs231n:cs231n/im2col.py",
        "utils/im2col_cython.pyx": "cs231n:cs231n/im2col_cython.pyx",
    },
    builds_on=("cs231n",),
)
