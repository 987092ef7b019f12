"""Italian formats over Django's: no leading zero on the day ("1 settembre 2026", not "01"),
and the weekday in lower case with the date ("mercoledì 25 ottobre 2006 14:30"); the
lower-case names are the catalogue's (see :mod:`abroad.formats`)."""

DATE_FORMAT = "j F Y"  # 25 ottobre 2006
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "l j F Y, H:i"  # mercoledì 25 ottobre 2006, 14:30
YEAR_MONTH_FORMAT = "F Y"  # ottobre 2006
MONTH_DAY_FORMAT = "j F"  # 25 ottobre
SHORT_DATE_FORMAT = "d/m/Y"  # 25/12/2009
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 25/10/2009 14:30
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
