"""Pure statistics the reports and the probe engine share (no I/O), beside availability/."""
