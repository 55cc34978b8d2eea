# controller
