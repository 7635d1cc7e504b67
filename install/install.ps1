<#
.SYNOPSIS
    Install the Linealytics Excel add-in on Windows, or remove it with -Uninstall.

.DESCRIPTION
    Install: creates (or reuses) a virtual environment, pip-installs the package into it (from this
    repository, or -Source: a folder, wheel or requirement), builds linealytics_xl.xlam with
    "linealytics addin build", installs it into Excel's XLSTART folder with
    "xlwings addin install -f", and writes the interpreter into the add-in's user config file
    %USERPROFILE%\.linealytics\linealytics.conf.
    -SkipExcel does all of that except the steps that talk to Excel (add-in install/remove).

    Uninstall: removes the add-in from Excel, the config file and the built .xlam; the virtual
    environment is kept unless -RemoveVenv is given.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File install\install.ps1
.EXAMPLE
    powershell -ExecutionPolicy Bypass -File install\install.ps1 -Uninstall -RemoveVenv
#>
[CmdletBinding()]
param(
    [string]$Source = (Split-Path -Parent $PSScriptRoot),
    [string]$Venv = (Join-Path $env:USERPROFILE ".linealytics\venv"),
    # Python 3.11+ used to create the venv; default: the "py" launcher (py -3), else "python".
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

# Set one "KEY","value" line, keeping the other lines. VBA reads the file with Open/Input #, in the
# ANSI code page, so it is written in that code page.
function Set-ConfigValue([string]$File, [string]$Key, [string]$Value) {
    if ($Value.Contains('"')) { throw "A config value cannot contain a double quote: $Value" }
    $dir = Split-Path -Parent $File
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $lines = @()
    if (Test-Path $File) {
        $lines = @(Get-Content -LiteralPath $File | Where-Object { -not $_.StartsWith("""$Key"",", [System.StringComparison]::OrdinalIgnoreCase) })
    }
    $lines += """$Key"",""$Value"""
    try {
        $encoding = [System.Text.Encoding]::GetEncoding([System.Globalization.CultureInfo]::CurrentCulture.TextInfo.ANSICodePage)
    } catch {
        $encoding = New-Object System.Text.UTF8Encoding($false)
    }
    [System.IO.File]::WriteAllLines($File, [string[]]$lines, $encoding)
}

if ($Uninstall) {
    $configFile = Get-ConfigFile
    if (-not $SkipExcel) {
        if (Test-Path $VenvXlwings) {
            Say "Removing $AddinName from Excel"
            & $VenvXlwings addin remove -f $AddinName
            if ($LASTEXITCODE -ne 0) { Write-Warning "xlwings could not remove the add-in (quit Excel and try again)" }
        } else {
            Write-Warning "$VenvXlwings not found; remove $AddinName from Excel's XLSTART folder by hand"
        }
    }
    if (Test-Path $configFile) {
        Say "Removing $configFile"
        Remove-Item -LiteralPath $configFile -Force
    }
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
    if ($Python) {
        $pythonCmd = @($Python)
    } elseif (Get-Command py -ErrorAction SilentlyContinue) {
        $pythonCmd = @("py", "-3")
    } else {
        $pythonCmd = @("python")
    }
    $pyExe = $pythonCmd[0]
    $pyArgs = @($pythonCmd | Select-Object -Skip 1)
    Invoke-Native $pyExe ($pyArgs + @("-c", "import sys; sys.exit(sys.version_info < (3, 11))"))
    Say "Creating the virtual environment $Venv"
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
}

$configFile = Get-ConfigFile
Say "Writing the interpreter to $configFile"
Set-ConfigValue $configFile "INTERPRETER_WIN" $VenvPython

Say "Done. Restart Excel: the ribbon has a Linealytics tab."
