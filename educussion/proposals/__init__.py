"""提言 (policy proposals) drafted from the discussions with their sources, reviewed, approved and published;
the 総会 (general meeting) agenda."""
