"""Building the Linealytics Excel add-in (``linealytics_xl.xlam``) without Excel, in plain Python.

One concern per module, so that each file format can be read (and tested) on its own:

* `ovba`: MS-OVBA 2.4.1 compression, the container every VBA stream is stored in;
* `cfb`: MS-CFB compound files, the format of ``xl/vbaProject.bin``;
* `vba_project`: the VBA project inside it (the ``dir`` stream, ``PROJECT``/``PROJECTwm``,
  module sources, renaming a module);
* `udf_meta`: what the worksheet functions of ``linealytics_xl.udfs`` are (signatures, help text);
* `vba_source`: the VBA text generated from that (UDF wrappers, function-wizard registration,
  the ``ThisWorkbook`` event) and the ribbon module;
* `build`: the ``.xlam`` itself (template, config sheet, ribbon XML) and the command line;
* `install_check`: what the installers ask after ``xlwings addin install``.

`linealytics_xl.addin_build` stays the entry point (``python -m linealytics_xl.addin_build``,
``from linealytics_xl.addin_build import build_addin``). The names every part shares live here.
"""

from __future__ import annotations

ADDIN_FILE_NAME = "linealytics_xl.xlam"
#: The VBA project's name (xlwings' template calls it ``MyAddin``).
VBA_PROJECT_NAME = "Linealytics"
#: ``PROJECT_NAME`` in the xlwings VBA module: names the config sheet and config file.
CONFIG_NAME = "linealytics"
#: The VBA module with the ribbon callbacks and the worksheet-function wrappers. Not the template's
#: ``RibbonMyAddin``: every quickstart-based add-in has a module of that name, and Excel may bind a
#: ribbon callback ``RibbonMyAddin.X`` to another add-in's module.
RIBBON_MODULE = "LinealyticsRibbon"
#: Prefix of every VBA procedure this project adds, so none can collide with another add-in's.
VBA_PREFIX = "Linealytics"
DEFAULT_UDF_MODULE = "linealytics_xl.udfs"
#: The Insert Function wizard's category when a function's ``@xw.func`` names none.
FUNCTION_CATEGORY = "Linealytics"


class AddinBuildError(RuntimeError):
    """The template or the sources are not what the build expects."""
