"""Build ``linealytics_xl.xlam`` without Excel, on any OS, in plain Python: the entry point.

``python -m linealytics_xl.addin_build --output linealytics_xl.xlam`` or ``linealytics addin
build``; from Python, ``build_addin(output, udf_module=None, interpreter=None)``. The work is done
by the package `linealytics_xl.addin` (one file format or concern per module); this module keeps
the names the command line, the installers and the tests have always imported from here.
"""

from __future__ import annotations

import sys

from .addin import (
    ADDIN_FILE_NAME,
    CONFIG_NAME,
    DEFAULT_UDF_MODULE,
    FUNCTION_CATEGORY,
    RIBBON_MODULE,
    VBA_PREFIX,
    VBA_PROJECT_NAME,
    AddinBuildError,
)
from .addin.build import build_addin, main
from .addin.cfb import read_cfb, write_cfb
from .addin.ovba import ovba_compress, ovba_decompress
from .addin.sources import sources_dir, template_path
from .addin.udf_meta import udf_functions
from .addin.vba_source import generate_function_registration, generate_udf_wrappers, ribbon_module_source

__all__ = [
    "ADDIN_FILE_NAME",
    "CONFIG_NAME",
    "DEFAULT_UDF_MODULE",
    "FUNCTION_CATEGORY",
    "RIBBON_MODULE",
    "VBA_PREFIX",
    "VBA_PROJECT_NAME",
    "AddinBuildError",
    "build_addin",
    "generate_function_registration",
    "generate_udf_wrappers",
    "main",
    "ovba_compress",
    "ovba_decompress",
    "read_cfb",
    "ribbon_module_source",
    "sources_dir",
    "template_path",
    "udf_functions",
    "write_cfb",
]

if __name__ == "__main__":
    sys.exit(main())
