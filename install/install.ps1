<#
.SYNOPSIS
    Install the Linealytics Excel add-in on Windows, or remove it with -Uninstall.

.DESCRIPTION
    Install: creates (or reuses) a virtual environment, pip-installs the package into it (from this
    repository, or -Source: a folder, wheel or requirement), builds linealytics_xl.xlam with
    "linealytics addin build", installs it into Excel's XLSTART folder with
    "xlwings addin install -f", checks that the add-in really arrived in Excel's startup folder
    (xlwings exits 0 even when the copy failed), and writes the interpreter into the add-in's user
    config file %USERPROFILE%\.linealytics\linealytics.conf.
    Python: -Python if given, else the newest of "py -3.13", "py -3.12", "py -3.11", then "python";
    it must be 3.11 or newer.
    -SkipExcel does all of that except the steps that talk to Excel (add-in install/remove).

    Uninstall: removes the add-in from Excel (and checks it is gone), the one config line this
    installer wrote (other lines stay; the file goes only when nothing else is in it) and the built
    .xlam; the virtual environment is kept unless -RemoveVenv is given.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File install\install.ps1
.EXAMPLE
    powershell -ExecutionPolicy Bypass -File install\install.ps1 -Uninstall -RemoveVenv
#>
[CmdletBinding()]
param(
    [string]$Source = (Split-Path -Parent $PSScriptRoot),
    [string]$Venv = (Join-Path $env:USERPROFILE ".linealytics\venv"),
    # Python 3.11+ used to create the venv; default: the "py" launcher (py -3.13/-3.12/-3.11), else "python".
    [string]$Python = "",
    [switch]$Uninstall,
    [switch]$RemoveVenv,
    [switch]$SkipExcel
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = "Stop"

$HomeDir = Join-Path $env:USERPROFILE ".linealytics"
$AddinName = "linealytics_xl.xlam"
$Addin = Join-Path $HomeDir $AddinName
$VenvPython = Join-Path $Venv "Scripts\python.exe"
$VenvXlwings = Join-Path $Venv "Scripts\xlwings.exe"
$VenvCli = Join-Path $Venv "Scripts\linealytics.exe"

function Say([string]$Message) { Write-Host "==> $Message" }

# Run a program; stop when it fails (native programs do not raise PowerShell errors by themselves).
function Invoke-Native([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

# PROJECT_NAME of the add-in's VBA (linealytics_xl.addin_build.CONFIG_NAME): it names the config file.
function Get-ConfigName {
    if (Test-Path $VenvPython) {
        try {
            # Windows PowerShell turns native stderr into errors under ErrorActionPreference=Stop.
            $name = & $VenvPython -c "from linealytics_xl.addin_build import CONFIG_NAME; print(CONFIG_NAME)" 2>$null
            if ($LASTEXITCODE -eq 0 -and $name) { return ([string]$name).Trim() }
        } catch {
            Write-Verbose "Could not ask the package for its config name: $_"
        }
    }
    return "linealytics"
}

# xlwings' GetConfigFilePath on Windows: %USERPROFILE%\.<name>\<name>.conf
function Get-ConfigFile {
    $name = Get-ConfigName
    return Join-Path $env:USERPROFILE ".$name\$name.conf"
}

# VBA reads the config file with Open/Input #, in the ANSI code page, so it is written in that code page.
function Get-ConfigEncoding {
    try {
        return [System.Text.Encoding]::GetEncoding([System.Globalization.CultureInfo]::CurrentCulture.TextInfo.ANSICodePage)
    } catch {
        return New-Object System.Text.UTF8Encoding($false)
    }
}

# Set one "KEY","value" line, keeping the other lines.
function Set-ConfigValue([string]$File, [string]$Key, [string]$Value) {
    if ($Value.Contains('"')) { throw "A config value cannot contain a double quote: $Value" }
    $dir = Split-Path -Parent $File
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $lines = @()
    if (Test-Path $File) {
        $lines = @(Get-Content -LiteralPath $File | Where-Object { -not $_.StartsWith("""$Key"",", [System.StringComparison]::OrdinalIgnoreCase) })
    }
    $lines += """$Key"",""$Value"""
    [System.IO.File]::WriteAllLines($File, [string[]]$lines, (Get-ConfigEncoding))
}

# Remove the "KEY","value" line this installer wrote, and no other: a line with the same key but
# another value was written by someone else and stays. The file goes only when nothing is left.
function Remove-ConfigValue([string]$File, [string]$Key, [string]$Value) {
    if (-not (Test-Path -LiteralPath $File)) { return }
    $ours = """$Key"",""$Value"""
    $kept = @()
    foreach ($line in @(Get-Content -LiteralPath $File)) {
        if ($line.StartsWith("""$Key"",", [System.StringComparison]::OrdinalIgnoreCase)) {
            if ($line.Substring($Key.Length + 3) -ceq """$Value""") {
                Say "Removing $Key from $File"
                continue
            }
            Write-Warning "Kept $line in $($File): it is not what this installer wrote ($ours)"
        }
        $kept += $line
    }
    if ($kept.Count -gt 0) {
        [System.IO.File]::WriteAllLines($File, [string[]]$kept, (Get-ConfigEncoding))
    } else {
        Remove-Item -LiteralPath $File -Force
        Say "Removed $File (nothing else was in it)"
    }
}

# Ask the package whether the add-in is (or, with -Absent, is no longer) in Excel's startup folder.
# "xlwings addin install/remove" print their errors but exit 0, so their exit code proves nothing.
function Test-AddinInstalled([string]$Path, [switch]$Absent) {
    $checkArgs = @("-m", "linealytics_xl.addin.install_check", $Path)
    if ($Absent) { $checkArgs += "--absent" }
    # Local to this function: the check's stderr is a message to show, not a PowerShell exception.
    $ErrorActionPreference = "Continue"
    $lines = @(& $VenvPython @checkArgs 2>&1 | ForEach-Object { "$_" })
    $ok = ($LASTEXITCODE -eq 0)
    foreach ($l in $lines) { if ($ok) { Say "Checked: $l" } else { Write-Warning $l } }
    return $ok
}

# The first Python 3.11+ among -Python, py -3.13/-3.12/-3.11, python; stops with what to install.
function Find-Python {
    $candidates = New-Object System.Collections.Generic.List[object]
    if ($Python) {
        $candidates.Add(@($Python))
    } else {
        if (Get-Command py -ErrorAction SilentlyContinue) {
            foreach ($v in @("3.13", "3.12", "3.11")) { $candidates.Add(@("py", "-$v")) }
        }
        $candidates.Add(@("python"))
    }
    $found = @()
    foreach ($cmd in $candidates) {
        $exe = $cmd[0]
        $exeArgs = @($cmd | Select-Object -Skip 1)
        if (-not (Get-Command $exe -ErrorAction SilentlyContinue)) { continue }
        $version = $null
        try {
            $version = & $exe @exeArgs -c "import sys; print('%d.%d' % sys.version_info[:2])" 2>$null
            if ($LASTEXITCODE -ne 0) { $version = $null }
        } catch { $version = $null }
        if (-not $version) { continue }
        $version = ([string]$version).Trim()
        $parts = $version.Split(".")
        if ([int]$parts[0] -gt 3 -or ([int]$parts[0] -eq 3 -and [int]$parts[1] -ge 11)) { return ,$cmd }
        $found += "$($cmd -join ' ') ($version)"
    }
    $seen = ""
    if ($found.Count -gt 0) { $seen = " (found: $($found -join ', '))" }
    throw ("No Python 3.11 or newer found$seen. Install Python 3.12 from https://www.python.org/downloads/windows/ " +
           "(tick 'Add python.exe to PATH') or with: winget install Python.Python.3.12 ; then run this script " +
           "again, or pass -Python C:\path\to\python.exe.")
}

if ($Uninstall) {
    $configFile = Get-ConfigFile
    if (-not $SkipExcel) {
        if (Test-Path $VenvXlwings) {
            Say "Removing $AddinName from Excel"
            & $VenvXlwings addin remove -f $AddinName
            if (-not (Test-AddinInstalled $AddinName -Absent)) {
                Write-Warning "The add-in is still installed (see above): quit Excel and run -Uninstall again"
            }
        } else {
            Write-Warning "$VenvXlwings not found; remove $AddinName from Excel's XLSTART folder by hand"
        }
    }
    Remove-ConfigValue $configFile "INTERPRETER_WIN" $VenvPython
    if (Test-Path $Addin) { Remove-Item -LiteralPath $Addin -Force }
    if ($RemoveVenv -and (Test-Path $Venv)) {
        if (-not (Test-Path $VenvPython)) { throw "$Venv does not look like a virtual environment; not removing it" }
        Say "Removing $Venv"
        Remove-Item -LiteralPath $Venv -Recurse -Force
    } elseif (Test-Path $Venv) {
        Write-Host "The virtual environment $Venv was kept (-RemoveVenv deletes it)."
    }
    Say "Linealytics add-in uninstalled."
    exit 0
}

if (Test-Path $VenvPython) {
    Say "Reusing the virtual environment $Venv"
} else {
    $pythonCmd = Find-Python  # an array such as @("py", "-3.12"); "return ,$cmd" keeps it whole
    $pyExe = @($pythonCmd)[0]
    $pyArgs = @(@($pythonCmd) | Select-Object -Skip 1)
    Say "Creating the virtual environment $Venv with $($pythonCmd -join ' ')"
    New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Venv) | Out-Null
    Invoke-Native $pyExe ($pyArgs + @("-m", "venv", $Venv))
}

Say "Installing linealytics-xl from $Source"
Invoke-Native $VenvPython @("-m", "pip", "install", "--disable-pip-version-check", "--upgrade", $Source)

New-Item -ItemType Directory -Force -Path $HomeDir | Out-Null
Say "Building $Addin"
if (Test-Path $VenvCli) {
    Invoke-Native $VenvCli @("addin", "build", "--output", $Addin, "--interpreter", $VenvPython)
} else {
    Invoke-Native $VenvPython @("-m", "linealytics_xl.addin_build", "--output", $Addin, "--interpreter", $VenvPython)
}

if (-not $SkipExcel) {
    Say "Installing the add-in into Excel"
    Invoke-Native $VenvXlwings @("addin", "install", "-f", $Addin)
    if (-not (Test-AddinInstalled $Addin)) {
        throw "The add-in was not installed into Excel (see the error above); the config file was not changed."
    }
}

$configFile = Get-ConfigFile
Say "Writing the interpreter to $configFile"
Set-ConfigValue $configFile "INTERPRETER_WIN" $VenvPython

Say "Done. Restart Excel: the ribbon has a Linealytics tab."
