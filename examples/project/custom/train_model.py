if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@custom
def train(rows, *args, **kwargs):
    """
    Fits a trivial model: the mean order amount per customer (a GPU job in a real project).

    Args:
        rows: The output of join_customers.
    """
    totals = {}
    for row in rows:
        total, count = totals.get(row['customer_name'], (0.0, 0))
        totals[row['customer_name']] = (total + row['amount'], count + 1)
    return {name: total / count for name, (total, count) in totals.items()}


@test
def test_output(output, *args) -> None:
    assert output, 'The model is empty'
