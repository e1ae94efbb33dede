"""The DRP runner: playbooks, step kinds, gates, the journal that never loses its place,
RTO/RPO timing from the declaration, and Formulir G."""
