// nominations
