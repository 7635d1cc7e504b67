"""Names a VBA parameter may not take.

VBA keywords and statement names, plus every identifier the wrapper body itself uses: a Python
parameter with one of these names gets a trailing underscore on the VBA side. Arguments are
passed to Python by position, so the VBA name only shows in Excel's function wizard.
"""

VBA_RESERVED = frozenset(
    w.lower()
    for w in """
Access AddressOf Alias And Any Append Array As Attribute Base Binary Boolean ByRef Byte ByVal Call
Case CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr Close Compare Const CSng CStr
Currency CVar CVErr Database Date Debug Decimal Declare DefBool DefByte DefCur DefDate DefDbl DefDec
DefInt DefLng DefLngLng DefLngPtr DefObj DefSng DefStr DefVar Dim Do DoEvents Double Each Else
ElseIf Empty End EndIf Enum Eqv Erase Error Event Exit Explicit False For Friend Function Get Global
GoSub GoTo If Imp Implements In Input Integer Is LBound Len LenB Let Lib Like Line Lock Long
LongLong LongPtr Loop LSet Me Mid MidB Mod Module Name New Next Not Nothing Null Object On Open
Option Optional Or Output ParamArray Preserve Print Private Property PtrSafe Public Put RaiseEvent
Random Read ReDim Rem Reset Resume Return RSet Seek Select Set Shared Single Spc Static Step Stop
String Sub Tab Text Then Time To True Type TypeOf UBound Unlock Until Variant Wend While Width With
WithEvents Write Xor Application ActiveWorkbook ThisWorkbook Range Err XLPy failed argsArray k
""".split()
)
