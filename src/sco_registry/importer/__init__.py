"""Import of `sco-registry-history/1` files: parse, validate, order, map to commands, append."""
