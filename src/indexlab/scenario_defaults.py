"""The scenario command's defaults, in a module that imports nothing, so that the
command line can state them in its help without loading the library."""

DEFAULT_SHARES = "bear=p25,base=p50,moon=p90"
DEFAULT_LOOKBACK_YEARS = 4.0
