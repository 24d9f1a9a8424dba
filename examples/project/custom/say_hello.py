if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def say_hello(*args, **kwargs):
    """
    Prints a greeting and the variables Mage gave the block.
    """
    print('Hello from a Kubernetes Job:', {key: value for key, value in kwargs.items() if key != 'context'})
