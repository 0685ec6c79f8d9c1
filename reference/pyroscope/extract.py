#!/usr/bin/env python3
"""Writes a key reference `vX.Y.Z.json` from a grafana/pyroscope checkout at that tag.

    python3 reference/pyroscope/extract.py GIT_DIR TAG OUT.json [--hidden-from REFERENCE.json ...]

Reads, at the tag's commit (`git show TAG:...`, no work tree needed):
- `docs/sources/configure-server/reference-configuration-parameters/index.md`: every YAML key,
  its type, default, CLI flag and description (the root block under "## Configuration
  parameters", each `### block` section, block references `[key: <block>]` expanded in place, with
  `<prefix>` replaced by the prefix their comment names);
- `cmd/pyroscope/help-all.txt.tmpl`: every flag and its default, to cross-check the page
  (`_source.checks`);
- `--hidden-from`: the keys other references list as hidden (`"documented": false`, fields
  tagged `doc:"hidden"` that the page leaves out but the YAML decoder accepts), the first file
  naming a key giving its entry. Each is kept only if its parent is a block of this release and
  its Go file has the field's `yaml:"NAME"` tag with `doc:"hidden"` on one line at this tag; the
  `source` line is read again there. A key dropped is a warning.

Only the standard library; the output is deterministic (sorted keys, one-space indentation).
Re-running it on v1.18.2 gives the committed v1.18.2.json's keys and entries (see README.md).
"""

import json
import re
import subprocess
import sys

DOC = "docs/sources/configure-server/reference-configuration-parameters/index.md"
HELP_ALL = "cmd/pyroscope/help-all.txt.tmpl"
NOTES = [
    "Keys are dot-joined YAML paths; entries with type 'block' are mappings.",
    "'documented': false entries are struct fields tagged doc:\"hidden\" (absent from the reference page) but "
    "accepted by the YAML decoder; 'source' cites the Go file:line.",
    "'flag' is the CLI flag as documented (leading '-'); null where the key has no CLI flag.",
    "'default' is the documented default converted to JSON where unambiguous (durations stay strings); "
    "'default_raw' is the text as documented.",
    "Pyroscope decodes the config file strictly (yaml.v3 Decoder.KnownFields(true)): unknown keys are errors.",
]

LEAF = re.compile(r"^\[([A-Za-z0-9_.-]+): <([^>]+)>(?: \| default = (.*))?\]$")
INLINE_BLOCK = re.compile(r"^([A-Za-z0-9_.-]+):$")
PREFIX = re.compile(r"The CLI flags prefix for this block configuration is:\s*(\S*)")


def git(git_dir, *args):
    return subprocess.run(["git", "-C", git_dir, *args], check=True, capture_output=True, text=True).stdout


def code_blocks(page):
    """The root block's lines and each `### name` section's lines."""
    blocks, name, lines, inside = {}, None, [], False
    for line in page.splitlines():
        if line.startswith("## Configuration parameters"):
            name = "root"
        elif line.startswith("### "):
            name = line[4:].strip()
        elif line.startswith("```yaml") and name:
            inside, lines = True, []
        elif line.startswith("```") and inside:
            inside = False
            blocks[name] = lines
        elif inside:
            lines.append(line)
    return blocks


def convert(kind, raw):
    if not raw:
        return None
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return json.loads(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    if kind == "int" and re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    if kind == "float" and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?", raw):
        return float(raw)
    if kind.startswith("list of") and raw == "[]":
        return []
    if raw == "{}":
        return {}
    return raw


def describe(comments):
    """(description, flag, flag prefix, v1 storage only, category) from a key's comment lines."""
    text, flag, prefix = [], None, None
    for comment in comments:
        if comment.startswith("CLI flag: "):
            flag = comment[len("CLI flag: "):].strip()
        else:
            text.append(comment)
    description = " ".join(part.strip() for part in text if part.strip())
    found = PREFIX.search(description)
    if found:
        prefix = found.group(1) or None
        description = description[: found.start()].strip()
    category, v1_only = "basic", False
    while True:
        if description.startswith("[v1 storage only]"):
            v1_only, description = True, description[len("[v1 storage only]"):].strip()
        elif description.startswith("[experimental]"):
            category, description = "experimental", description[len("[experimental]"):].strip()
        elif description.startswith("[advanced]"):
            category, description = "advanced", description[len("[advanced]"):].strip()
        else:
            break
    return description, flag, prefix, v1_only, category


def walk(blocks, name, path, doc_block, flag_prefix, out, depth=0):
    """Adds the keys of block `name`'s lines under `path` to `out`."""
    if depth > 20:
        raise SystemExit(f"block references nest too deep at {path}")
    lines = blocks[name]
    stack = []  # (indent, path) of the inline blocks open
    comments = []
    for raw_line in lines:
        stripped = raw_line.strip()
        indent = len(raw_line) - len(raw_line.lstrip(" "))
        if not stripped:
            comments = []
            continue
        if stripped.startswith("#"):
            comments.append(stripped[1:][1:] if stripped.startswith("# ") else stripped[1:])
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else path
        description, flag, prefix, v1_only, category = describe(comments)
        comments = []
        if flag and flag_prefix:
            flag = flag.replace("<prefix>", flag_prefix)
        leaf = LEAF.match(stripped)
        inline = INLINE_BLOCK.match(stripped)
        if inline:
            key = join(parent, inline.group(1))
            out[key] = {"type": "block", "default": None, "flag": None, "documented": True,
                        "doc_block": doc_block, "description": description}
            stack.append((indent, key))
        elif leaf:
            key = join(parent, leaf.group(1))
            kind, raw = leaf.group(2), leaf.group(3)
            if raw is None and kind in blocks:
                entry = {"type": "block", "default": None, "flag": None, "block": kind, "documented": True,
                         "doc_block": doc_block, "description": description}
                if prefix:
                    entry["flag_prefix"] = prefix
                out[key] = entry
                walk(blocks, kind, key, kind, prefix or flag_prefix, out, depth + 1)
            else:
                out[key] = {"type": kind, "default": convert(kind, raw), "default_raw": raw, "flag": flag,
                            "category": category, "v1_storage_only": v1_only, "documented": True,
                            "doc_block": doc_block, "description": description}
        else:
            raise SystemExit(f"block {name}: cannot read the line {raw_line!r}")


def join(parent, key):
    return f"{parent}.{key}" if parent else key


def help_flags(text):
    """flag -> its default as help-all prints it (None when it prints none)."""
    flags, current, body = {}, None, []

    def finish():
        if current:
            found = re.search(r"\(default (.*)\)$", " ".join(body).strip())
            flags[current] = found.group(1) if found else None

    for line in text.splitlines():
        if line.startswith("  -"):
            finish()
            current, body = line.split()[0], []
        elif current:
            body.append(line.strip())
    finish()
    return flags


def hidden_keys(git_dir, tag, candidates, keys, warnings):
    kept = {}
    for key, entry in sorted(candidates.items()):
        parent = key.rsplit(".", 1)[0] if "." in key else None
        if key in keys:
            continue
        if parent and keys.get(parent, kept.get(parent, {})).get("type") != "block":
            warnings.append(f"hidden key {key}: its parent {parent} is not a block of {tag}; dropped")
            continue
        file = entry["source"].rsplit(":", 1)[0]
        name = key.rsplit(".", 1)[-1]
        try:
            text = git(git_dir, "show", f"{tag}:{file}")
        except subprocess.CalledProcessError:
            warnings.append(f"hidden key {key}: {file} does not exist at {tag}; dropped")
            continue
        line = next((i for i, l in enumerate(text.splitlines(), 1)
                     if f'yaml:"{name}' in l and 'doc:"hidden"' in l), None)
        if line is None:
            warnings.append(f"hidden key {key}: no field tagged yaml:\"{name}\" with doc:\"hidden\" in {file}; dropped")
            continue
        kept[key] = dict(entry, source=f"{file}:{line}")
    return kept


def main(argv):
    if len(argv) < 4 or (len(argv) > 4 and (argv[4] != "--hidden-from" or len(argv) == 5)):
        raise SystemExit(__doc__)
    git_dir, tag, out_file = argv[1:4]
    candidates = {}
    for reference in argv[5:]:
        for key, entry in json.load(open(reference)).items():
            if key != "_source" and not entry.get("documented", True):
                candidates.setdefault(key, entry)
    commit = git(git_dir, "rev-parse", f"{tag}^{{commit}}").strip()
    blocks = code_blocks(git(git_dir, "show", f"{tag}:{DOC}"))
    keys = {}
    walk(blocks, "root", "", "root", None, keys)
    documented = len(keys)
    leaves = sum(1 for entry in keys.values() if entry["type"] != "block")
    flags = help_flags(git(git_dir, "show", f"{tag}:{HELP_ALL}"))
    warnings = []
    mismatches = []
    for key, entry in sorted(keys.items()):
        flag = entry.get("flag")
        if entry["type"] == "block" or not flag:
            continue
        if flag not in flags:
            warnings.append(f"{key}: flag {flag} not in help-all")
            continue
        shown = flags[flag]
        raw = entry["default_raw"]
        if shown is not None and raw is not None and normalise(shown) != normalise(raw):
            mismatches.append(f"{key}: reference {raw!r}, help-all {shown!r}")
            entry["help_all_default_raw"] = shown
    hidden = hidden_keys(git_dir, tag, candidates, keys, warnings)
    for key, entry in hidden.items():
        if entry.get("flag") and entry["flag"] not in flags:
            warnings.append(f"hidden key {key}: flag {entry['flag']} not in help-all")
    keys.update(hidden)
    yaml_flags = {entry.get("flag") for entry in keys.values()}
    source = {
        "repository": "grafana/pyroscope",
        "file": DOC,
        "commit": commit,
        "version": tag,
        "help_all_file": HELP_ALL,
        "generated_by": "reference/pyroscope/extract.py",
        "documented_keys": documented,
        "documented_leaf_keys": leaves,
        "hidden_keys_added": len(hidden),
        "notes": NOTES,
        "checks": {
            "help_all_flags": len(flags),
            "default_mismatches_reference_vs_help_all": mismatches,
            "flags_without_yaml_key": sorted(flag for flag in flags if flag not in yaml_flags),
        },
        "warnings": warnings,
    }
    document = {"_source": source, **dict(sorted(keys.items()))}
    with open(out_file, "w") as out:
        json.dump(document, out, indent=1, ensure_ascii=False)
        out.write("\n")


def normalise(text):
    """A default as both sources write it: quotes dropped, Go durations `1h0m0s` as `1h`."""
    text = text.strip('"')
    text = re.sub(r"(?<=[0-9])m0s", "m", re.sub(r"(?<=[0-9])h0m0s", "h", text))
    return re.sub(r"(?<=[hm])0s$", "", text)


if __name__ == "__main__":
    main(sys.argv)
