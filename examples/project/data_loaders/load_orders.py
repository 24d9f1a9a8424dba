if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@data_loader
def load_data(*args, **kwargs):
    """
    Loads the orders to process.

    Returns:
        A list of rows (Mage stores it as this block's output for the downstream blocks).
    """
    return [
        {'order_id': 1, 'customer_id': 10, 'amount': 25.0},
        {'order_id': 2, 'customer_id': 11, 'amount': -1.0},
        {'order_id': 3, 'customer_id': 10, 'amount': 12.5},
    ]


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
    assert len(output) > 0, 'No rows were loaded'
