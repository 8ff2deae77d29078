"""CS231n assignment 2 as taught in 2016 and 2017 (Stanford): the `cs231n-2017` course profile.

Its reference (reference/cs231n-2017/) writes only what differs from the default course in
its own code (dropout with a drop probability, FullyConnectedNet's `dropout`/`use_batchnorm`,
adam's initial t, the older kit's given code and markers); every solution whose maths is the
default course's calls that course's reference (`_canonical.cs231n...`, builds_on), and the
given files that are the same are borrowed. Editions: 2016 (Python 2.7 kit, adam starts at
t = 0) and 2017 (Python 3 kit, adam starts at t = 1). Facts per year: docs/courses/cs231n-2017.md.
"""

from __future__ import annotations

from ...examples import Edit
from ..cs231n import MODULE_DEPS
from ..family import FAMILY_CHECKS, FAMILY_DRIVERS, FAMILY_HINTS, NUMPY_COMPAT, cifar10, models
from ..family.markers import TODO_BANNERS
from ..family.readme import kit_readme
from ..family.update_checks import CHECKS as UPDATE_CHECKS, epsilon_sign_accepted
from ..profile import AccuracyFormula, Edition, Evidence, NotebookSettings, NotebookSpec, Package, Profile
from . import catalogue, demo
from .specs import CNN_MODULE, FC_MODULE, SPECS

AT_LEAST = AccuracyFormula  # AccuracyFormula(offset=50, span=0) = "at least 50%"

# This project's master notebooks (notebooks/cs231n-2017/): the fully connected notebook leaves its
# final model in `best_model` (the course: at least 50% validation accuracy), scored on the
# grader's held-out half of the test batch; the others are executed (the course scores no model
# there: 2016's open-ended conv net names no variable, 2017 moved it to TensorFlow/PyTorch).
NOTEBOOKS = (
    NotebookSpec("FullyConnectedNets.ipynb", "best_model", ("FullyConnectedNet",), AT_LEAST(offset=50, span=0), 5.0),
    NotebookSpec("BatchNormalization.ipynb"),
    NotebookSpec("Dropout.ipynb"),
    NotebookSpec("ConvolutionalNetworks.ipynb"),
)

# The official notebooks of both years: FullyConnectedNets keeps the model the course requires
# (`best_model`, at least 50% validation accuracy). The conv net's open-ended cell of 2016 names
# no variable, and 2017 moved the >= 70% model to the TensorFlow/PyTorch notebooks (not numpy):
# executed, not scored.
FC_OFFICIAL = NotebookSpec("FullyConnectedNets.ipynb", "best_model", ("FullyConnectedNet", "TwoLayerNet"),
                           AT_LEAST(offset=50, span=0), 5.0)
OFFICIAL = (FC_OFFICIAL, NotebookSpec("BatchNormalization.ipynb"), NotebookSpec("Dropout.ipynb"),
            NotebookSpec("ConvolutionalNetworks.ipynb"))

OPT = "cs231n/optim.py"
T0, T1 = r"""setdefault\(\s*['"]t['"]\s*,\s*0\s*\)""", r"""setdefault\(\s*['"]t['"]\s*,\s*1\s*\)"""
BUILTINS = r"from builtins import"
EDITIONS = (
    Edition(
        "2016", years=(2016,),
        description="Winter 2016: a Python 2.7 kit; adam's config starts at t = 0; no TensorFlow or PyTorch notebook",
        notebooks=OFFICIAL,
        edits=(Edit(OPT, "config.setdefault('t', 1)", "config.setdefault('t', 0)"),),
        evidence=Evidence(text={"optim": {T0: True, T1: False}, "fc_net": {BUILTINS: False}}),
    ),
    Edition(
        "2017", years=(2017,),
        description="Spring 2017: a Python 3 kit (`from builtins import ...`); adam's config starts at t = 1; "
                    "TensorFlow and PyTorch notebooks added (not graded: not numpy)",
        notebooks=OFFICIAL,
        evidence=Evidence(files=("TensorFlow.ipynb",), text={"optim": {T1: True, T0: False}, "fc_net": {BUILTINS: True}}),
    ),
)

# The 2016 kit's given lines that cannot run as they are (all three 2016 submissions hold them
# verbatim): Python 2, and `bn_param[mode] = mode`, the 2016 kit's bug (fixed in 2017) that left
# batch normalization in training mode at test time.
_ITEMS = {"for k, v in self.params.iteritems():": "for k, v in self.params.items():"}
GIVEN_FIXES = {
    "cs231n/classifiers/fc_net.py": {
        **_ITEMS,
        "self.bn_params = [{'mode': 'train'} for i in xrange(self.num_layers - 1)]":
            "self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]",
        "bn_param[mode] = mode": "bn_param['mode'] = mode",
    },
    "cs231n/classifiers/cnn.py": {
        **_ITEMS,
        "conv_param = {'stride': 1, 'pad': (filter_size - 1) / 2}": "conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}",
    },
}

PROFILE = Profile(
    name="cs231n-2017",
    title="CS231n assignment 2 (2016-2017)",
    packages=(Package("cs231n", anchors=("layers.py", "optim.py", "solver.py", "layer_utils.py",
                                         "classifiers/fc_net.py")),),
    editable=("cs231n/layers.py", "cs231n/layer_utils.py", "cs231n/classifiers/fc_net.py", "cs231n/classifiers/cnn.py",
              "cs231n/optim.py"),
    specs=SPECS,
    module_deps=MODULE_DEPS,  # the default course's layout
    hints=FAMILY_HINTS,
    # the default course's accepted survivors, reached through this course's delegating rules
    accepted_mutants=epsilon_sign_accepted(via_base=True),
    checks={**FAMILY_CHECKS, **UPDATE_CHECKS},
    drivers=FAMILY_DRIVERS + (NUMPY_COMPAT,),
    models={"FullyConnectedNet": models.fully_connected(FC_MODULE, "FullyConnectedNet", norm_arg="use_batchnorm",
                                                        flag_arg="use_batchnorm"),
            "TwoLayerNet": models.fully_connected(FC_MODULE, "FullyConnectedNet", norm_arg="use_batchnorm",
                                                  flag_arg="use_batchnorm"),
            "ThreeLayerConvNet": models.three_layer_convnet(CNN_MODULE, "ThreeLayerConvNet")},
    notebooks=NOTEBOOKS,
    notebook_settings=NotebookSettings(),
    dataset=cifar10.dataset("cs231n.data_utils"),
    markers=TODO_BANNERS,
    editions=EDITIONS,
    mutants=catalogue.MUTANTS,
    alternatives=catalogue.ALTERNATIVES,
    examples=demo.CLASS,
    readme=kit_readme,
    requirements=("numpy", "matplotlib"),
    borrows={f"cs231n/{f}": f"cs231n:cs231n/{f}" for f in
             ("data_utils.py", "gradient_check.py", "fast_layers.py", "im2col.py", "im2col_cython.pyx", "solver.py")},
    builds_on=("cs231n",),
    given_fixes=GIVEN_FIXES,
)
