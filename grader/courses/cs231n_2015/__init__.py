"""CS231n assignment 2 as taught in Winter 2015 (Stanford): the `cs231n-2015` course profile.

The 2015 assignment is function-based: a model is a dict of arrays, two_layer_net(X, model, y,
reg) computes its scores or loss and gradients, and ClassifierTrainer().train(...) trains it
with SGD, momentum or RMSProp. Students wrote Python 2; the grader runs their code as written
under Python 3 (a module that does not parse costs its own functions, reported per file with
what would make it parse). Its reference (reference/cs231n-2015/) delegates the maths shared
with the default course to it (`_canonical`, builds_on) and borrows its given files. Facts:
docs/courses/cs231n-2015.md.
"""

from __future__ import annotations

from pathlib import Path

from ..family import FAMILY_CHECKS, FAMILY_DRIVERS, FAMILY_HINTS, NUMPY_COMPAT, cifar10
from ..family.markers import TODO_BANNERS
from ..family.readme import kit_readme
from ..profile import AccuracyFormula, NotebookSettings, NotebookSpec, Package, Profile
from . import catalogue, demo
from .checks import CHECKS
from .hints import HINTS
from .models import two_layer_model
from .specs import NET_MODULE, SPECS

# The two-layer net notebook: "greater than 50% on the validation set", and "one extra bonus
# point for every 1% of accuracy above 56%" (extra credit: the fraction may exceed 1).
TWO_LAYER = AccuracyFormula(offset=50, span=0, bonus_from=56, bonus_per_point=0.1)
NOTEBOOKS = (
    NotebookSpec("two_layer_net.ipynb", "best_model", ("dict",), TWO_LAYER, 10.0),
    NotebookSpec("layers.ipynb"),
    NotebookSpec("convnet.ipynb"),
)

# The 2015 kit's given lines that Python 3 cannot run (every 2015 submission holds them verbatim).
GIVEN_FIXES = {
    "cs231n/classifier_trainer.py": {
        "iterations_per_epoch = N / batch_size": "iterations_per_epoch = N // batch_size",
        "for it in xrange(num_iters):": "for it in range(num_iters):",
        "if it % 10 == 0:  print 'starting iteration ', it": "if it % 10 == 0:  print('starting iteration ', it)",
        "print 'finished optimization. best validation accuracy: %f' % (best_val_acc, )":
            "print('finished optimization. best validation accuracy: %f' % (best_val_acc, ))",
    },
    "cs231n/classifiers/convnet.py": {
        "conv_param = {'stride': 1, 'pad': (conv_filter_height - 1) / 2}":
            "conv_param = {'stride': 1, 'pad': (conv_filter_height - 1) // 2}",
        "model['W2'] = weight_scale * np.random.randn(num_filters * H * W / 4, num_classes)":
            "model['W2'] = weight_scale * np.random.randn(num_filters * H * W // 4, num_classes)",
    },
}

PROFILE = Profile(
    name="cs231n-2015",
    title="CS231n assignment 2 (Winter 2015)",
    packages=(Package("cs231n", anchors=("layers.py", "classifier_trainer.py", "classifiers/neural_net.py",
                                         "layer_utils.py")),),
    editable=("cs231n/layers.py", "cs231n/layer_utils.py", "cs231n/classifiers/neural_net.py",
              "cs231n/classifiers/convnet.py", "cs231n/classifier_trainer.py"),
    specs=SPECS,
    module_deps={
        "cs231n.layers": (),
        "cs231n.fast_layers": (),
        "cs231n.layer_utils": ("cs231n.layers", "cs231n.fast_layers"),
        "cs231n.classifiers.neural_net": (),
        "cs231n.classifiers.convnet": ("cs231n.layers", "cs231n.fast_layers", "cs231n.layer_utils"),
        "cs231n.classifier_trainer": (),
    },
    hints={**FAMILY_HINTS, **HINTS},
    checks={**FAMILY_CHECKS, **CHECKS},
    drivers=FAMILY_DRIVERS + (NUMPY_COMPAT, Path(__file__).with_name("drivers.py")),
    models={"dict": two_layer_model(NET_MODULE, "two_layer_net")},
    notebooks=NOTEBOOKS,
    notebook_settings=NotebookSettings(),
    dataset=cifar10.dataset("cs231n.data_utils"),
    markers=TODO_BANNERS,
    mutants=catalogue.MUTANTS,
    alternatives=catalogue.ALTERNATIVES,
    examples=demo.CLASS,
    readme=kit_readme,
    requirements=("numpy", "matplotlib"),
    borrows={**{f"cs231n/{f}": f"cs231n:cs231n/{f}" for f in
                ("data_utils.py", "gradient_check.py", "fast_layers.py", "im2col.py", "im2col_cython.pyx")},
             "cs231n/layer_utils.py": "cs231n-2017:cs231n/layer_utils.py"},
    builds_on=("cs231n",),
    given_fixes=GIVEN_FIXES,
)
