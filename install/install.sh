#!/usr/bin/env bash
# Install the Linealytics Excel add-in on macOS (Excel for Mac), or remove it with --uninstall.
#
#   install/install.sh [--source PATH] [--venv DIR] [--python PYTHON] [--skip-excel]
#   install/install.sh --uninstall [--venv DIR] [--remove-venv] [--skip-excel]
#
# Install: creates (or reuses) a virtual environment, pip-installs the package into it (from this
# repository, or --source: a folder, wheel or requirement), builds linealytics_xl.xlam with
# `linealytics addin build`, installs it into Excel's startup folder with
# `xlwings addin install -f` (which also installs xlwings' AppleScript that RunPython needs on a
# Mac), and writes the interpreter into the add-in's user config file
# ~/Library/Containers/com.microsoft.Excel/Data/linealytics.conf.
# --skip-excel does all of that except the two steps that talk to Excel (add-in install/remove).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home_dir="${HOME:?HOME is not set}/.linealytics"
source_spec="$(dirname "$script_dir")"
venv="$home_dir/venv"
python="${PYTHON:-python3}"
uninstall=0
remove_venv=0
skip_excel=0
addin_name="linealytics_xl.xlam"

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --source) source_spec="${2:?--source needs a value}"; shift 2 ;;
        --venv) venv="${2:?--venv needs a value}"; shift 2 ;;
        --python) python="${2:?--python needs a value}"; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        --remove-venv) remove_venv=1; shift ;;
        --skip-excel) skip_excel=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [ "$(uname -s)" != "Darwin" ] && [ "$skip_excel" -eq 0 ]; then
    die "this installer is for macOS (on Windows use install/install.ps1); --skip-excel runs the other steps anyway"
fi

venv_python="$venv/bin/python"
addin="$home_dir/$addin_name"

# The config name is PROJECT_NAME of the add-in's VBA, i.e. linealytics_xl.addin_build.CONFIG_NAME.
config_name() {
    if [ -x "$venv_python" ] && "$venv_python" -c "import linealytics_xl.addin_build" 2>/dev/null; then
        "$venv_python" -c "from linealytics_xl.addin_build import CONFIG_NAME; print(CONFIG_NAME)"
    else
        echo "linealytics"
    fi
}

# Excel for Mac is sandboxed: GetConfigFilePath reads ~/Library/Containers/com.microsoft.Excel/Data/<name>.conf
config_file() {
    printf '%s/Library/Containers/com.microsoft.Excel/Data/%s.conf' "$HOME" "$(config_name)"
}

# Set one "KEY","value" line in the config file, keeping every other line (xlwings' format, read by
# VBA's `Input #`: the value must not contain a double quote).
set_config() {
    local file="$1" key="$2" value="$3" tmp
    case "$value" in *'"'*) die "a config value cannot contain a double quote: $value" ;; esac
    mkdir -p "$(dirname "$file")"
    tmp="$(mktemp "${file}.XXXXXX")"
    if [ -f "$file" ]; then
        grep -v -i "^\"$key\"," "$file" > "$tmp" || true
    fi
    printf '"%s","%s"\n' "$key" "$value" >> "$tmp"
    mv "$tmp" "$file"
}

if [ "$uninstall" -eq 1 ]; then
    cfg="$(config_file)"
    if [ "$skip_excel" -eq 0 ]; then
        if [ -x "$venv/bin/xlwings" ]; then
            say "Removing $addin_name from Excel"
            "$venv/bin/xlwings" addin remove -f "$addin_name" || echo "warning: xlwings could not remove the add-in (quit Excel and try again)" >&2
        else
            echo "warning: $venv/bin/xlwings not found; remove $addin_name from Excel's startup folder by hand" >&2
        fi
    fi
    if [ -f "$cfg" ]; then
        say "Removing $cfg"
        rm -f -- "$cfg"
    fi
    rm -f -- "$addin"
    if [ "$remove_venv" -eq 1 ] && [ -d "$venv" ]; then
        [ -x "$venv_python" ] || die "$venv does not look like a virtual environment; not removing it"
        say "Removing $venv"
        rm -rf -- "$venv"
    elif [ -d "$venv" ]; then
        echo "The virtual environment $venv was kept (--remove-venv deletes it)."
    fi
    say "Linealytics add-in uninstalled."
    exit 0
fi

if [ -x "$venv_python" ]; then
    say "Reusing the virtual environment $venv"
else
    command -v "$python" >/dev/null 2>&1 || die "$python not found (install Python 3.11+ or pass --python)"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$python is older than Python 3.11"
    say "Creating the virtual environment $venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi

say "Installing linealytics-xl from $source_spec"
"$venv_python" -m pip install --disable-pip-version-check --upgrade "$source_spec"

mkdir -p "$home_dir"
say "Building $addin"
if [ -x "$venv/bin/linealytics" ]; then
    "$venv/bin/linealytics" addin build --output "$addin" --interpreter "$venv_python"
else
    "$venv_python" -m linealytics_xl.addin_build --output "$addin" --interpreter "$venv_python"
fi

if [ "$skip_excel" -eq 0 ]; then
    say "Installing the add-in into Excel (Excel may start; quit it afterwards with Cmd-Q)"
    "$venv/bin/xlwings" addin install -f "$addin"
fi

cfg="$(config_file)"
say "Writing the interpreter to $cfg"
set_config "$cfg" "INTERPRETER_MAC" "$venv_python"

say "Done. Restart Excel: the ribbon has a Linealytics tab."
