"""Jobs: the store, RuntimeJob, options and the local executors."""
