if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data(data, *args, **kwargs):
    """
    Writes the model to the warehouse (printed here).

    Args:
        data: The output of train_model.
    """
    print('model:', data)
