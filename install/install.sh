#!/usr/bin/env bash
# Install the Linealytics Excel add-in on macOS (Excel for Mac), or remove it with --uninstall.
#
#   install/install.sh [--source PATH] [--venv DIR] [--python PYTHON] [--skip-excel]
#   install/install.sh --uninstall [--venv DIR] [--remove-venv] [--skip-excel]
#   install/install.sh --print-python [--python PYTHON]
#
# Install: creates (or reuses) a virtual environment with a Python 3.11+ (--python or $PYTHON when
# given, else the first suitable of python3.13, python3.12, python3.11, python3 on PATH, then the
# python.org and Homebrew locations; Apple's /usr/bin/python3 is 3.9 and is skipped), pip-installs the package into it
# (from this repository, or --source: a folder, wheel or requirement), builds linealytics_xl.xlam,
# installs it into Excel's startup folder with `xlwings addin install -f` (which also installs the
# AppleScript RunPython needs on a Mac) and checks that the file really arrived there, then writes
# the interpreter into ~/Library/Containers/com.microsoft.Excel/Data/linealytics.conf.
# --skip-excel does all of that except the steps that talk to Excel (add-in install/remove).
# --uninstall removes the add-in and only the config line this installer wrote.
# --print-python prints the Python the installer would use, and exits.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home_dir="${HOME:?HOME is not set}/.linealytics"
source_spec="$(dirname "$script_dir")"
venv="$home_dir/venv"
python="${PYTHON:-}"
print_python=0
uninstall=0
remove_venv=0
skip_excel=0
addin_name="linealytics_xl.xlam"

usage() {
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --source) source_spec="${2:?--source needs a value}"; shift 2 ;;
        --venv) venv="${2:?--venv needs a value}"; shift 2 ;;
        --python) python="${2:?--python needs a value}"; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        --remove-venv) remove_venv=1; shift ;;
        --skip-excel) skip_excel=1; shift ;;
        --print-python) print_python=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# "major.minor" of an interpreter, or nothing when it does not run.
python_version() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null | head -n 1
}

# True for "3.11" and later (compared as numbers: "3.9" is older than "3.12").
supported_version() {
    local version="$1" major minor
    case "$version" in [0-9]*.[0-9]*) ;; *) return 1 ;; esac
    major="${version%%.*}"
    minor="${version#*.}"
    [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 11 ]; }
}

# The Python 3.11+ to create the venv with: --python/$PYTHON if given (and only that), else the
# first suitable of the usual names and places. Says exactly what to install when none is found.
find_python() {
    local candidates=() candidate path version minor tried=""
    if [ -n "$python" ]; then
        candidates=("$python")
    else
        candidates=(python3.13 python3.12 python3.11 python3)
        if [ "$(uname -s)" = "Darwin" ]; then
            for minor in 13 12 11; do
                candidates+=("/Library/Frameworks/Python.framework/Versions/3.$minor/bin/python3"
                             "/opt/homebrew/bin/python3.$minor" "/usr/local/bin/python3.$minor")
            done
        fi
    fi
    for candidate in "${candidates[@]}"; do
        path="$(command -v "$candidate" 2>/dev/null)" || continue
        version="$(python_version "$path")" || version=""
        if supported_version "$version"; then
            printf '%s\n' "$path"
            return 0
        fi
        case "$tried" in *"$path "*) ;; *) tried="$tried$path (${version:-does not run}), " ;; esac
    done
    {
        if [ -n "$python" ]; then
            printf 'error: %s is not Python 3.11 or newer' "$python"
        else
            printf 'error: no Python 3.11 or newer found'
        fi
        if [ -n "$tried" ]; then printf ' (found: %s)' "${tried%, }"; fi
        printf '.\n'
        printf 'Install Python 3.12 from https://www.python.org/downloads/macos/ (the macOS 64-bit universal2 installer),\n'
        printf 'or with Homebrew: brew install python@3.12. Then run this installer again, or pass --python /path/to/python3.12.\n'
        printf "(macOS's own /usr/bin/python3 is Python 3.9: too old for this package.)\n"
    } >&2
    return 1
}

if [ "$print_python" -eq 1 ]; then
    find_python
    exit $?
fi

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

# Remove the "KEY","value" line this installer wrote, and no other: a line with the same key but
# another value was put there by someone else and stays. The file goes only when nothing is left.
unset_config() {
    local file="$1" key="$2" value="$3" tmp line bare upper_key
    [ -f "$file" ] || return 0
    upper_key="$(printf '%s' "$key" | tr '[:lower:]' '[:upper:]')"
    tmp="$(mktemp "${file}.XXXXXX")"
    while IFS= read -r line || [ -n "$line" ]; do
        bare="${line%$'\r'}"
        if [ "$(printf '%s' "${bare%%,*}" | tr '[:lower:]' '[:upper:]')" = "\"$upper_key\"" ]; then
            if [ "${bare#*,}" = "\"$value\"" ]; then
                say "Removing $key from $file"
                continue
            fi
            echo "warning: kept $bare in $file: it is not what this installer wrote (\"$value\")" >&2
        fi
        printf '%s\n' "$line" >> "$tmp"
    done < "$file"
    if [ -s "$tmp" ]; then
        mv "$tmp" "$file"
    else
        rm -f -- "$tmp" "$file"
        say "Removed $file (nothing else was in it)"
    fi
}

if [ "$uninstall" -eq 1 ]; then
    cfg="$(config_file)"
    if [ "$skip_excel" -eq 0 ]; then
        if [ -x "$venv/bin/xlwings" ]; then
            say "Removing $addin_name from Excel"
            "$venv/bin/xlwings" addin remove -f "$addin_name" || true
            # xlwings exits 0 even when it could not remove the file: look for it.
            "$venv_python" -m linealytics_xl.addin.install_check --absent "$addin_name" \
                || echo "warning: the add-in is still installed (see above)" >&2
        else
            echo "warning: $venv/bin/xlwings not found; remove $addin_name from Excel's startup folder by hand" >&2
        fi
    fi
    unset_config "$cfg" "INTERPRETER_MAC" "$venv_python"
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
    base_python="$(find_python)" || exit 1
    say "Creating the virtual environment $venv with $base_python ($(python_version "$base_python"))"
    mkdir -p "$(dirname "$venv")"
    "$base_python" -m venv "$venv"
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
    # xlwings exits 0 even when the copy failed: check that the file it should have written is there.
    installed="$("$venv_python" -m linealytics_xl.addin.install_check "$addin")" \
        || die "the add-in was not installed into Excel (see above); the config file was not changed"
    say "Installed $installed"
fi

cfg="$(config_file)"
say "Writing the interpreter to $cfg"
set_config "$cfg" "INTERPRETER_MAC" "$venv_python"

say "Done. Restart Excel: the ribbon has a Linealytics tab."
