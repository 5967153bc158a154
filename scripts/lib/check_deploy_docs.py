"""README's "Deploy" section, checked against what it describes (run by scripts/test):
every parameter its `sam deploy` sets exists in template.yaml and every parameter without a
default is set; the secrets it creates are the template's default names; the stack outputs it
reads exist; the scripts it runs exist and are executable; the config.js it writes declares
what web/assets/config.js declares."""

import os
import re
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    template = yaml.load(open(os.path.join(root, "template.yaml"), encoding="utf-8"), Loader=Loader)
    match = re.search(r"^## Deploy\n(.*?)^## ", readme, re.S | re.M)
    if not match:
        print("README.md has no '## Deploy' section")
        return 1
    deploy = match.group(1)
    problems = []
    parameters = template["Parameters"]

    overrides = re.search(r"--parameter-overrides(.*?)```", deploy, re.S)
    given = set(re.findall(r"\b([A-Z][A-Za-z]+)=", overrides.group(1) if overrides else ""))
    for name in sorted(given - set(parameters)):
        problems.append(f"sam deploy sets {name}, which template.yaml does not declare")
    for name, spec in parameters.items():
        if "Default" not in spec and name not in given:
            problems.append(f"sam deploy does not set {name}, which has no default")

    created = set(re.findall(r"create-secret --name (\S+)", deploy))
    defaults = {parameters[p]["Default"] for p in parameters if p.endswith("SecretParameter") or p.endswith("KeyParameter")}
    if created != defaults:
        problems.append(f"secrets created {sorted(created)} are not the template's defaults {sorted(defaults)}")

    outputs = set(template.get("Outputs", {}))
    for name in sorted(set(re.findall(r"\bout (\w+)", deploy))):
        if name not in outputs:
            problems.append(f"the section reads output {name}, which template.yaml does not declare")

    for script in sorted(set(re.findall(r"\b(scripts/[\w-]+)(?![\w.-])", deploy))):
        path = os.path.join(root, script)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append(f"{script} is not an executable file")

    config = open(os.path.join(root, "web/assets/config.js"), encoding="utf-8").read()
    declared = set(re.findall(r"export const (\w+)", config))
    written = set(re.findall(r"export const (\w+)", deploy))
    if declared != written:
        problems.append(f"the section writes config.js with {sorted(written)}, web/assets/config.js declares {sorted(declared)}")
    keys = set(re.findall(r"(\w+):", config.split("BRAND", 1)[1])) if "BRAND" in config else set()
    keys_written = set(re.findall(r"(\w+): \"%s\"", deploy))
    if keys != keys_written:
        problems.append(f"BRAND keys written {sorted(keys_written)} differ from config.js {sorted(keys)}")

    for problem in problems:
        print(f"README Deploy: {problem}")
    if not problems:
        print(f"README Deploy: {len(given)} parameters, {len(created)} secrets, outputs and scripts match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
