-- One month-end report row per month: regenerating a month replaces its files and updates its row.
CREATE UNIQUE INDEX reports_month_end_key ON reports (month) WHERE kind = 'month_end';
