Attribute VB_Name = "LinealyticsRibbon"
#Const App = "Microsoft Excel" 'Used by the generated UDF wrappers at the end of this module
' Linealytics ribbon callbacks: one Sub per button of customUI.xml. Every name here starts with
' "Linealytics" (the module too: not the name of the xlwings quickstart's ribbon module), so that no other add-in's
' module or procedure can catch a click meant for this one. Each button is a thin RunPython into
' linealytics_xl.ribbon; with "Use UDF Server" (set in the add-in's config sheet) RunPython runs
' it in the warm Python that also serves the worksheet functions, on Windows.
' linealytics_xl/addin/ appends the worksheet-function (UDF) wrappers and their Insert Function
' help below when it builds linealytics_xl.xlam; edit this file, not the add-in.

Sub LinealyticsRunAll(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.run_all()"
End Sub

Sub LinealyticsValidate(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.validate()"
End Sub

Sub LinealyticsForecast(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.forecast()"
End Sub

Sub LinealyticsSimulate(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.simulate()"
End Sub

Sub LinealyticsOptimize(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.optimize()"
End Sub

Sub LinealyticsWhatIf(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.whatif()"
End Sub

Sub LinealyticsSendAlerts(control As IRibbonControl)
    RunPython "import linealytics_xl.ribbon as r; r.send_alerts()"
End Sub

Sub LinealyticsRestartPython(control As IRibbonControl)
    ' Stops the warm Python (xlwings' KillPy): the next click or recalculation starts a fresh one
    ' that imports the code as installed now. Needed after an upgrade of the package.
    #If Mac Then
        MsgBox "On a Mac every Linealytics button starts a fresh Python: there is nothing to restart.", _
            vbInformation, "Linealytics"
    #Else
        On Error GoTo failed
        KillPy
        MsgBox "Python was stopped. The next button or recalculation starts it again with the installed code.", _
            vbInformation, "Linealytics"
        Exit Sub
failed:
        MsgBox "Python could not be stopped: " & Err.Description, vbExclamation, "Linealytics"
    #End If
End Sub
