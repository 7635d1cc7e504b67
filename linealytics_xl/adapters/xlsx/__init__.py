"""The package-level workbook writer: rewrite only the parts the tool owns, keep every other byte.

``writer.write_package`` is the entry point; ``package`` handles the OPC zip, ``book_xml`` the
workbook part, ``patch`` and ``recalc`` the planner's sheets, ``sheet_xml``/``tables_xml``/
``styles`` the tool's own sheets, ``transplant`` the Dashboard built by openpyxl, ``app_props``
the sheet titles of ``docProps/app.xml``, and ``read`` a fast cell reader for large workbooks.
"""
