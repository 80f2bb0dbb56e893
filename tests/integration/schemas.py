# SPDX-License-Identifier: MIT
"""rmcp's JSON schemas (docs/*.schema.json) as offline validators.

Every schema's $id is its file name and every $ref is relative ("envelope.schema.json#/...",
"probe.schema.json#/$defs/probe"), so a validator that is given the directory resolves them
without the network. This module is that registry, for Debian 12's python3-jsonschema 4.10
(RefResolver with a store) and for jsonschema >= 4.18 (referencing.Registry). Anything not in
the directory is refused instead of fetched, so a reference that only resolves online fails.
"""
import json
import os

import jsonschema


class Offline(Exception):
    pass


def load(docs):
    """{file name: schema} for every *.schema.json in docs."""
    out = {}
    for name in sorted(os.listdir(docs)):
        if name.endswith(".schema.json"):
            with open(os.path.join(docs, name), encoding="utf-8") as f:
                out[name] = json.load(f)
    return out


def _refuse(uri):
    raise Offline(f"schema reference {uri!r} is not in the local directory")


def validators(docs):
    """{file name: Draft202012Validator} resolving references only among the schemas in docs."""
    schemas = load(docs)
    try:
        from referencing import Registry, Resource  # jsonschema >= 4.18
        registry = Registry(retrieve=_refuse).with_resources(
            [(s["$id"], Resource.from_contents(s)) for s in schemas.values()])
        return {n: jsonschema.Draft202012Validator(s, registry=registry) for n, s in schemas.items()}
    except ImportError:  # Debian 12's 4.10
        store = {s["$id"]: s for s in schemas.values()}
        handlers = {scheme: _refuse for scheme in ("", "http", "https", "file", "urn")}
        return {n: jsonschema.Draft202012Validator(
                    s, resolver=jsonschema.RefResolver(s["$id"], s, store=store, handlers=handlers))
                for n, s in schemas.items()}


def resolve(docs, name, ref):
    """Resolve ref as schema `name` in docs would, offline; raises if it cannot."""
    schemas = load(docs)
    try:
        from referencing import Registry, Resource
        registry = Registry(retrieve=_refuse).with_resources(
            [(s["$id"], Resource.from_contents(s)) for s in schemas.values()])
        return registry.resolver(base_uri=schemas[name]["$id"]).lookup(ref).contents
    except ImportError:
        store = {s["$id"]: s for s in schemas.values()}
        handlers = {scheme: _refuse for scheme in ("", "http", "https", "file", "urn")}
        s = schemas[name]
        return jsonschema.RefResolver(s["$id"], s, store=store, handlers=handlers).resolve(ref)[1]


def errors(validator, doc, limit=5):
    """The first few validation errors as lines ('' if the document is valid)."""
    return "\n".join(f"  {list(e.absolute_path)}: {e.message}"
                     for e in list(validator.iter_errors(doc))[:limit])
