"""Configuration: YAML with line marks → strict pydantic models → one immutable Config
(`config.loader.load_config`). Field types live in `config.fields`, importable by probe
kinds without pulling in the loader."""
