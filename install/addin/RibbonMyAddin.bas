Attribute VB_Name = "RibbonMyAddin"
#Const App = "Microsoft Excel" 'Used by the generated UDF wrappers at the end of this module
' Linealytics ribbon callbacks: one Sub per button of customUI.xml, each a thin RunPython
' into linealytics_xl.ribbon. linealytics_xl/addin_build.py appends the worksheet-function
' (UDF) wrappers below when it builds linealytics_xl.xlam; edit this file, not the add-in.

Sub OnRunAll(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.run_all()"
End Sub

Sub OnValidate(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.validate()"
End Sub

Sub OnForecast(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.forecast()"
End Sub

Sub OnSimulate(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.simulate()"
End Sub

Sub OnOptimize(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.optimize()"
End Sub

Sub OnSendAlerts(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.send_alerts()"
End Sub
