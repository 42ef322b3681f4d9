"""Maps the repository's role folders into the one installed package ``relu_injectivity``.

    numerics/   -> relu_injectivity              (API, methods, machinery, workflow, interfaces)
    derive/     -> relu_injectivity.derive       (SymPy derivations and the code generator)
    generated/  -> relu_injectivity.generated    (kernels printed by derive)

Subpackages are found, not listed; everything else is in pyproject.toml.
"""
from setuptools import find_packages, setup

ROOTS = {"relu_injectivity": "numerics", "relu_injectivity.derive": "derive",
         "relu_injectivity.generated": "generated"}

packages = []
for name, folder in ROOTS.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=ROOTS)
