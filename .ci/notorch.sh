#!/usr/bin/env bash
# torch is an optional extra: prove that forge installs and works without it. Creates a venv without
# torch (forge's core dependencies, pytest, hypothesis and setuptools only), checks that torch is
# absent, then runs the whole suite: `import forge`, one-hot, Word2Vec and the harness are tested
# (tests/test_without_torch.py among them), doctests included, and the torch tests skip with a reason.
# Arguments go to pytest. FORGE_NOTORCH_VENV chooses the venv folder (default .ci-notorch, recreated).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${FORGE_NOTORCH_VENV:-$PWD/.ci-notorch}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m venv --clear "$venv"
# setuptools >= 70.1 builds wheels without the separate wheel package (tests/test_plugins.py builds
# the README's example plugin offline with it)
"$venv/bin/python" -m pip install --quiet -e . "pytest>=7" "hypothesis>=6" "setuptools>=70.1"

if "$venv/bin/python" -c "import torch" 2>/dev/null; then
  echo ".ci/notorch.sh: torch is installed in $venv; this check needs an environment without it" >&2
  exit 1
fi
echo "+ pytest without torch ($venv)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
