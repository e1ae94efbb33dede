"""Pure availability arithmetic: intervals, calendars, recurrence, the formula. No I/O."""
