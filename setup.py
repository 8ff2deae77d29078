"""Build the compiled im2col/col2im extension (the only non-metadata part of the build)."""
import os
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

extensions = [
    Extension(
        "grader._im2col",
        # The source is course code (given to students), so it lives with the reference.
        ["reference/cs231n/im2col_cython.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
]

_OPENMP_PROBE = """
#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel for reduction(+:n)
    for (int i = 0; i < 4; i++) n += omp_get_num_threads() > 0;
    return n == 4 ? 0 : 1;
}
"""


class BuildExtOpenMP(build_ext):
    """build_ext that adds OpenMP flags only when a probe program compiles and links with them.

    Without OpenMP (e.g. Apple clang, or CS231N_NO_OPENMP=1) the extension still builds and its
    parallel loops simply run on one thread.
    """

    def _openmp_flags(self):
        if os.environ.get("CS231N_NO_OPENMP"):
            return None
        if self.compiler.compiler_type == "msvc":
            compile_flags, link_flags = ["/openmp"], []
        else:
            compile_flags, link_flags = ["-fopenmp"], ["-fopenmp"]
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe_openmp.c")
            with open(src, "w") as f:
                f.write(_OPENMP_PROBE)
            try:
                objs = self.compiler.compile([src], output_dir=tmp, extra_postargs=compile_flags)
                self.compiler.link_executable(objs, "probe_openmp", output_dir=tmp, extra_postargs=link_flags)
            except Exception as exc:  # CompileError / LinkError: build without OpenMP
                print(f"OpenMP not available ({exc!r}); building im2col single-threaded", file=sys.stderr)
                return None
        return compile_flags, link_flags

    def build_extensions(self):
        flags = self._openmp_flags()
        if flags is not None:
            for ext in self.extensions:
                ext.extra_compile_args = list(ext.extra_compile_args or []) + flags[0]
                ext.extra_link_args = list(ext.extra_link_args or []) + flags[1]
        super().build_extensions()


setup(
    ext_modules=cythonize(
        extensions, language_level=3, compiler_directives={"boundscheck": False, "wraparound": False}
    ),
    cmdclass={"build_ext": BuildExtOpenMP},
)
