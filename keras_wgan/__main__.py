import sys

from keras_wgan.cli import main

sys.exit(main())
