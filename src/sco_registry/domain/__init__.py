"""The pure core: value types, the error tree, stream families, norms. Standard library only."""
