typedef int nm_producer_wip;
