typedef int nm_consumer_wip;
