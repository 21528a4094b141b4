"""The GraphQL API (Strawberry): schema, context, scalars, types, inputs, queries,
mutations, loaders, errors. Queries call only the read models' read functions; mutations
only the application's `handle`. `app.py` mounts it; it holds no logic itself."""
