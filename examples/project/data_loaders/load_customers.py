if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@data_loader
def load_data(*args, **kwargs):
    """
    Loads the customers the orders refer to.

    Returns:
        A list of rows (Mage stores it as this block's output for the downstream blocks).
    """
    return [
        {'customer_id': 10, 'name': 'Ada'},
        {'customer_id': 11, 'name': 'Grace'},
    ]


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
    assert len(output) > 0, 'No rows were loaded'
