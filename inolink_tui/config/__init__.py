"""Configuration: TOML read with tomllib, validated with pydantic."""
