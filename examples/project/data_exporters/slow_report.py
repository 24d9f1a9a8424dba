if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data(data, *args, **kwargs):
    """
    Builds a report; slow on purpose, so that it hits its active_deadline_seconds.

    Args:
        data: The output of join_customers.
    """
    import time

    time.sleep(30)
    print('rows:', len(data))
