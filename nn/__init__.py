from . import data, datasets
