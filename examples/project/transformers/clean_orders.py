if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@transformer
def transform(orders, *args, **kwargs):
    """
    Drops orders with a negative amount.

    Args:
        orders: The output of load_orders.
    """
    return [order for order in orders if order['amount'] >= 0]


@test
def test_output(output, *args) -> None:
    assert all(order['amount'] >= 0 for order in output), 'A negative amount was kept'
