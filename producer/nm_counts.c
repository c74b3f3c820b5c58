typedef int nm_counts_wip;
