from shop.storage import lookup_index


def price(key):
    return lookup_index.get(key)
