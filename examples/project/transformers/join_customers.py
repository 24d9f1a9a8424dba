if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@transformer
def transform(orders, customers, *args, **kwargs):
    """
    Adds each order's customer name.

    Args:
        orders: The output of clean_orders.
        customers: The output of load_customers.
    """
    names = {customer['customer_id']: customer['name'] for customer in customers}
    return [{**order, 'customer_name': names.get(order['customer_id'])} for order in orders]


@test
def test_output(output, *args) -> None:
    assert all('customer_name' in row for row in output), 'A row has no customer name'
