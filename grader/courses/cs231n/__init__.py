"""CS231n assignment 2 (Stanford): the default course profile.

The reference (reference/cs231n/) and this project's kit follow the 2021-2024 API plus the
functions earlier years' assignment 2 also held (svm_loss, TwoLayerNet), so one reference grades
every edition; the editions below say what each year's assignment contains and calls
differently. Facts per year: docs/courses/cs231n.md.
"""

from __future__ import annotations

import dataclasses

from ...examples import Edit
from ...mutate.hints import GENERATED_MUTANT, mutant_hint
from ..family import FAMILY_CHECKS, FAMILY_DRIVERS, FAMILY_HINTS, FAMILY_KERNEL_PATH, cifar10, models
from ..family.readme import kit_readme
from ..family.update_checks import CHECKS as UPDATE_CHECKS, epsilon_sign_accepted
from ..profile import AccuracyFormula, Edition, Evidence, NotebookSettings, NotebookSpec, Package, Profile
from . import catalogue, demo
from .specs import CNN_MODULE, FC_MODULE, SPECS

AT_LEAST = AccuracyFormula  # a step: AccuracyFormula(offset=50, span=0) = "at least 50%"

# This project's master notebooks (notebooks/cs231n/): each leaves its final model in
# `best_model`, scored on the grader's held-out half of the real test batch. Not graded: the
# conv net's "above 40% training accuracy after one epoch" (replaced by the open-ended model).
NOTEBOOKS = (
    NotebookSpec("FullyConnectedNets.ipynb", "best_model", ("FullyConnectedNet",), AT_LEAST(offset=50, span=0), 5.0),
    NotebookSpec("BatchNormalization.ipynb", "best_model", ("FullyConnectedNet",), AT_LEAST(offset=50, span=0), 5.0),
    NotebookSpec("Dropout.ipynb", "best_model", ("FullyConnectedNet",), AT_LEAST(offset=60, span=0), 5.0),
    NotebookSpec("ConvolutionalNetworks.ipynb", "best_model", ("ThreeLayerConvNet",), AT_LEAST(offset=60, span=0), 5.0),
)

# The official notebooks of each year (graded as they come when a submission was made with the
# official kit; see grader.execute.resolve_spec): the fully connected notebook keeps the one model
# the course sets a target for (`best_model`, at least 50% validation accuracy); BatchNormalization,
# Dropout and ConvolutionalNetworks are executed, not scored (their targets are on a Solver's
# training accuracy, or none); the framework notebooks and the Colab submission helper are
# reported when found, never executed.
TORCH = ("a PyTorch notebook: the course grades it by its own PyTorch targets, and the grader's kernel has no "
         "torch (this profile grades the numpy part of the assignment)")
TENSORFLOW = TORCH.replace("PyTorch", "TensorFlow").replace("torch (", "tensorflow (")
HELPER = "the kit's helper that packs the submission on Colab (apt-get, pip, zip): nothing to grade"
FC_OFFICIAL = NotebookSpec("FullyConnectedNets.ipynb", "best_model", ("FullyConnectedNet", "TwoLayerNet"),
                           AT_LEAST(offset=50, span=0), 5.0)
EXECUTED_ONLY = (NotebookSpec("BatchNormalization.ipynb"), NotebookSpec("Dropout.ipynb"),
                 NotebookSpec("ConvolutionalNetworks.ipynb"))
OFFICIAL_2018 = (FC_OFFICIAL, *EXECUTED_ONLY, NotebookSpec("PyTorch.ipynb", not_executed=TORCH),
                 NotebookSpec("TensorFlow.ipynb", not_executed=TENSORFLOW),
                 NotebookSpec("collect_submission.ipynb", not_executed=HELPER))
OFFICIAL_2021 = (dataclasses.replace(FC_OFFICIAL, classes=("FullyConnectedNet",)), *OFFICIAL_2018[1:],
                 NotebookSpec("Network_Visualization.ipynb", not_executed=TORCH))
OFFICIAL_2025 = (*EXECUTED_ONLY, NotebookSpec("PyTorch.ipynb", not_executed=TORCH),
                 NotebookSpec("RNN_Captioning_pytorch.ipynb", not_executed=TORCH),
                 NotebookSpec("collect_submission.ipynb", not_executed=HELPER))  # the FC notebook moved to assignment 1

A1_2021 = ("layers.svm_loss", "fc_net.TwoLayerNet")  # assignment 1's since 2021
OPTIMIZERS = ("optim.sgd_momentum", "optim.rmsprop", "optim.adam")  # assignment 1's since 2025
EDITIONS = (
    Edition(
        "2018-2020", years=(2018, 2019, 2020),
        description="assignment 2 still holds svm_loss and TwoLayerNet; FullyConnectedNet's keep probability is "
                    "named `dropout`",
        renames={"fc_net.FullyConnectedNet": {"dropout_keep_ratio": "dropout"}},
        edits=(Edit("cs231n/classifiers/fc_net.py", "dropout_keep_ratio", "dropout", count=4),),
        # the docstring gives gamma and beta as (C,) where the notebook passes (1, C, 1, 1)
        squeezed={"layers.spatial_groupnorm_backward": ("gamma", "beta")},
        notebooks=OFFICIAL_2018,
        evidence=Evidence(functions=A1_2021, arguments={"fc_net.FullyConnectedNet": ("dropout", "normalization")}),
    ),
    Edition(
        "2021-2024", years=(2021, 2022, 2023, 2024),
        description="svm_loss and TwoLayerNet moved to assignment 1; `dropout_keep_ratio`",
        absent=A1_2021,
        notebooks=OFFICIAL_2021,
        evidence=Evidence(files=("FullyConnectedNets.ipynb",), absent=A1_2021,
                          arguments={"fc_net.FullyConnectedNet": ("dropout_keep_ratio", "normalization")}),
    ),
    Edition(
        "2025+", years=(2025, 2026),
        description="the fully connected notebook and the update rules moved to assignment 1 (2025's kit ships "
                    "optim.py solved); assignment 2 adds the PyTorch RNN captioning notebook",
        absent=A1_2021 + OPTIMIZERS,
        notebooks=OFFICIAL_2025,
        evidence=Evidence(files=("RNN_Captioning_pytorch.ipynb", "cs231n/rnn_layers_pytorch.py"), absent=A1_2021,
                          arguments={"fc_net.FullyConnectedNet": ("dropout_keep_ratio", "normalization")}),
    ),
)

# Survivors of `grader mutate` that may keep full marks (docs/mutate.md), with the reason.
ACCEPTED_MUTANTS = epsilon_sign_accepted()

# What imports what among the course's modules (a failure is traced through them).
MODULE_DEPS = {
    "cs231n.layers": (),
    "cs231n.fast_layers": (),
    "cs231n.layer_utils": ("cs231n.layers", "cs231n.fast_layers"),
    "cs231n.optim": (),
    "cs231n.classifiers.fc_net": ("cs231n.layers", "cs231n.layer_utils"),
    "cs231n.classifiers.cnn": ("cs231n.layers", "cs231n.fast_layers", "cs231n.layer_utils"),
    "cs231n.solver": ("cs231n.optim",),
}

PROFILE = Profile(
    name="cs231n",
    title="CS231n assignment 2",
    packages=(Package("cs231n", anchors=("layers.py", "optim.py", "solver.py", "layer_utils.py")),),
    editable=("cs231n/layers.py", "cs231n/layer_utils.py", "cs231n/classifiers/fc_net.py", "cs231n/classifiers/cnn.py",
              "cs231n/optim.py"),
    specs=SPECS,
    module_deps=MODULE_DEPS,
    hints={**FAMILY_HINTS, GENERATED_MUTANT: mutant_hint("cs231n")},  # a failure may name a mutant it equals
    checks={**FAMILY_CHECKS, **UPDATE_CHECKS},
    drivers=FAMILY_DRIVERS,
    models={"FullyConnectedNet": models.fully_connected(FC_MODULE, "FullyConnectedNet"),
            # a TwoLayerNet's W1, b1, W2, b2 are those of a one-hidden-layer FullyConnectedNet
            "TwoLayerNet": models.fully_connected(FC_MODULE, "FullyConnectedNet"),
            "ThreeLayerConvNet": models.three_layer_convnet(CNN_MODULE, "ThreeLayerConvNet")},
    notebooks=NOTEBOOKS,
    notebook_settings=NotebookSettings(),
    # official notebooks may name the folder the kits' get_datasets.sh fills: it is linked there too
    dataset=cifar10.dataset("cs231n.data_utils", links=("cs231n/datasets/cifar-10-batches-py",)),
    editions=EDITIONS,
    mutants=catalogue.MUTANTS,
    alternatives=catalogue.ALTERNATIVES,
    examples=demo.CLASS,
    readme=kit_readme,
    # What the official notebooks and support files import beyond numpy (docs/notebooks.md): imageio
    # and Pillow are installed with the grader; past.builtins, future and google.colab are stand-ins
    # (FAMILY_KERNEL_PATH). Not torch/tensorflow: those notebooks are not executed. Not scipy: the
    # 2018 kit's `scipy.misc.imread` is gone from every scipy a current Python runs (that cell fails,
    # reported).
    # tqdm: Colab's, imported by real submissions' own cells (a 2023 student's hyperparameter search).
    requirements=("numpy", "matplotlib", "imageio", "PIL", "past.builtins", "future.standard_library",
                  "google.colab", "tqdm"),
    kernel_path=FAMILY_KERNEL_PATH,
    total_points=100.0,
    accepted_mutants=ACCEPTED_MUTANTS,
    default=True,
    # every edition until 2024 ran on numpy 1.x (2023-2024's requirements pin numpy 1.19.5): its code
    # is graded as written (np.int, np.reshape(..., newshape=...), int() of a one-element array)
    compat=("numpy1",),
)
