"""Pure parsers of /proc and df output (Debian and RHEL-family), tested on captured text."""
